package classifiers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/types"
)

// panicky is a real model whose runs panic, as a featurizer or tokenizer
// bug on some input would.
type panicky struct{ classifiers.Scorer }

func (panicky) Infer(context.Context, []string) ([][]float32, error) { panic("featurizer bug") }

// A model that panics fails the check with an error (the caller's fail
// mode decides), whether it runs on the caller's goroutine (the first
// model) or on one of its own (the others), and the process lives on.
func TestSuiteModelPanicIsAnError(t *testing.T) {
	models := loadSuite(t).Models()
	if len(models) < 2 {
		t.Fatalf("want at least two shipped models, have %d", len(models))
	}
	for i := range models {
		ms := append([]classifiers.Scorer(nil), models...)
		ms[i] = panicky{ms[i]}
		s := classifiers.NewSuite(ms...)
		_, err := s.Score(context.Background(), types.StagePrompt, []string{"hello there"})
		if !errors.Is(err, classifiers.ErrModel) || !strings.Contains(err.Error(), "panicked") {
			t.Errorf("model %d (%s) panics: err = %v, want ErrModel", i, ms[i].Manifest().Name, err)
		}
	}
}

// The same inside a Batcher: a run on the worker's goroutine that panics
// answers its callers with ErrModel instead of ending the process.
func TestBatcherModelPanicIsAnError(t *testing.T) {
	m := loadSuite(t).Models()[0]
	// MaxWait 50 ms: the first call runs inline (the model was idle), the
	// next ones, made right after a run ended, go through the worker.
	b, err := classifiers.NewBatcher(panicky{m}, classifiers.BatchOptions{MaxBatch: 4, QueueRows: 64, Workers: 1,
		MaxWait: 50 * time.Millisecond, RetryAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// On a goroutine of its own: without the recover, the panic ends the
	// test binary at once instead of leaving a run in flight for Close.
	errs := make(chan error, 5)
	go func() {
		for range 5 {
			_, err := b.Infer(context.Background(), []string{"hello there"})
			errs <- err
		}
	}()
	for range 5 {
		select {
		case err := <-errs:
			if !errors.Is(err, classifiers.ErrModel) {
				t.Fatalf("err = %v, want ErrModel", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("no answer from the batcher in a minute")
		}
	}
	defer b.Close()
	if st := b.Stats(); st.Runs-st.Inline < 1 {
		t.Fatalf("no run on the worker's goroutine: %+v", st)
	}
}
