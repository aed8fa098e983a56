package models

import (
	"context"
	"testing"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/types"
)

// TestShortCalibration checks that the shipped bags carry their short-text
// maps (short_calib.py writes them into the manifests; a retrain rewrites a
// manifest without them: rerun train.sh short-calib) and that the Suite
// applies them at the prompt stage only, to short texts only.
func TestShortCalibration(t *testing.T) {
	mapped := map[string]int{}
	for _, dir := range []string{"injection", "harm", "suffix"} {
		man := readShippedManifest(t, dir)
		c := man.Short
		if c == nil {
			t.Errorf("%s: no short_calibration (run models/train/train.sh short-calib)", dir)
			continue
		}
		if !c.AppliesTo("prompt") || c.AppliesTo("response") {
			t.Errorf("%s: short_calibration stages %v, want prompt only", dir, c.Stages)
		}
		if len(c.Bins) != 2 || c.Bins[0].MaxWords != 1 || c.Bins[1].MaxWords != 3 || c.Bins[1].MaxRunes != 24 {
			t.Errorf("%s: bins %+v, want one word then up to three words of <= 24 runes", dir, c.Bins)
		}
		for _, b := range c.Bins {
			mapped[dir] += len(b.Labels)
		}
	}
	if mapped["injection"] == 0 || mapped["harm"] == 0 {
		t.Fatalf("maps per model %v: the bags flag short benign text, a fit that maps none of their labels is suspect", mapped)
	}

	inj := loadInjection(t)
	s := classifiers.NewSuite(inj).WithVariants(false)
	bin := inj.Manifest().Short.Bin("100")
	if bin == nil {
		t.Fatal(`"100" is in no bin`)
	}
	long := "Please summarise the following meeting notes in three bullet points for the team."
	raw, err := inj.Infer(context.Background(), []string{"100", long})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stage types.Stage
		text  string
		want  func(l string, p float32) float32
	}{
		{types.StagePrompt, "100", bin.Apply},
		{types.StageResponse, "100", func(_ string, p float32) float32 { return p }},
		{types.StagePrompt, long, func(_ string, p float32) float32 { return p }},
	} {
		sc, err := s.Score(context.Background(), tc.stage, []string{tc.text})
		if err != nil {
			t.Fatal(err)
		}
		row := raw[0]
		if tc.text == long {
			row = raw[1]
		}
		for j, l := range inj.Manifest().Labels {
			if want := float64(tc.want(l, row[j])); sc[0][l] != want {
				t.Errorf("%v %q %s = %.6f, want %.6f (model %.6f)", tc.stage, tc.text, l, sc[0][l], want, row[j])
			}
		}
	}
	// the map matters: "100" is a prompt injection to the bag alone
	thr := inj.Manifest().Thresholds["prompt_injection"]["escalate"]
	if raw[0][0] < float32(thr) {
		t.Logf(`the injection bag no longer flags "100" (%.3f): the map may be unneeded`, raw[0][0])
	} else if got := bin.Apply("prompt_injection", raw[0][0]); float64(got) >= thr {
		t.Errorf(`"100": prompt_injection %.3f mapped to %.3f, still >= escalate %.3f`, raw[0][0], got, thr)
	}
}
