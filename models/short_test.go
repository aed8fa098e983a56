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
// applies them, per stage, to short texts only.
func TestShortCalibration(t *testing.T) {
	mapped := map[string]int{}
	for _, dir := range []string{"injection", "harm", "suffix"} {
		man := readShippedManifest(t, dir)
		c := man.Short
		if c == nil {
			t.Errorf("%s: no short_calibration (run models/train/train.sh short-calib)", dir)
			continue
		}
		for _, stage := range []string{"prompt", "response"} {
			bins := c.Stages[stage]
			if len(bins) != 2 || bins[0].MaxWords != 1 || bins[1].MaxWords != 3 || bins[1].MaxRunes != 24 {
				t.Errorf("%s: %s bins %+v, want one word then up to three words of <= 24 runes", dir, stage, bins)
			}
			for _, b := range bins {
				mapped[dir+" "+stage] += len(b.Labels)
			}
		}
	}
	for _, k := range []string{"injection prompt", "injection response", "harm prompt", "harm response"} {
		if mapped[k] == 0 {
			t.Errorf("%s: no map; the bags flag short benign text, a fit that maps none of their labels is suspect", k)
		}
	}

	inj := loadInjection(t)
	s := classifiers.NewSuite(inj).WithVariants(false)
	long := "Please summarise the following meeting notes in three bullet points for the team."
	raw, err := inj.Infer(context.Background(), []string{"100", long})
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range []types.Stage{types.StagePrompt, types.StageResponse} {
		bin := inj.Manifest().Short.Bin(stage.String(), "100")
		if bin == nil {
			t.Fatalf(`%v: "100" is in no bin`, stage)
		}
		sc, err := s.Score(context.Background(), stage, []string{"100", long})
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range inj.Manifest().Labels {
			if want := float64(bin.Apply(l, raw[0][j])); sc[0][l] != want {
				t.Errorf(`%v "100" %s = %.6f, want the map's %.6f (model %.6f)`, stage, l, sc[0][l], want, raw[0][j])
			}
			if want := float64(raw[1][j]); sc[1][l] != want {
				t.Errorf("%v long text %s = %.6f, want the model's %.6f", stage, l, sc[1][l], want)
			}
		}
		// the map matters: "100" is a prompt injection to the bag alone
		thr := inj.Manifest().Thresholds["prompt_injection"]["escalate"]
		if raw[0][0] < float32(thr) {
			t.Logf(`the injection bag no longer flags "100" (%.3f): the map may be unneeded`, raw[0][0])
		} else if sc[0]["prompt_injection"] >= thr {
			t.Errorf(`%v "100": prompt_injection %.3f mapped to %.3f, still >= escalate %.3f`, stage, raw[0][0], sc[0]["prompt_injection"], thr)
		}
	}
}
