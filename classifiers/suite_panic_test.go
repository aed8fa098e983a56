package classifiers_test

import (
	"context"
	"errors"
	"strings"
	"testing"

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
