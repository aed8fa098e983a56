package check_test

import (
	"context"
	"testing"

	"github.com/wardenhq/warden/classifiers/detect"
	"github.com/wardenhq/warden/internal/benchtext"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/models/ner"
)

// BenchmarkCheck1KB is one whole prompt check of a 1 KB text on the
// embedded default, on bench/load's text mix (shipped models, detectors with the name tagger,
// default policy; no incident recorder): the service time a request
// spends in Warden, without HTTP and without waiting behind others.
func BenchmarkCheck1KB(b *testing.B) {
	testenv.ORT(b)
	det, err := detect.New(detect.Options{NERModelFS: ner.FS, NERDir: "."})
	if err != nil {
		b.Fatal(err)
	}
	defer det.Close()
	svc := testenv.Service(b, det, nil, check.Options{})
	texts := benchtext.Texts(1, 64, 1024)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := svc.Check(ctx, check.Request{Stage: types.StagePrompt, Text: texts[i%len(texts)]}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
