package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/wardenhq/warden/"

type pkg struct {
	ImportPath string
	Deps       []string
}

func listDeps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "github.com/wardenhq/warden/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[strings.TrimPrefix(p.ImportPath, mod)] = p.Deps
	}
	return deps
}

// rules: packages (by prefix, relative to the module) that must not depend
// on other packages (by prefix).
var rules = []struct {
	from      string
	forbidden []string
	why       string
}{
	{"internal/types", []string{""}, "the shared vocabulary depends on nothing in Warden"},
	{"classifiers", []string{"policy", "review", "streams", "internal/check", "internal/api", "cmd"}, "classifiers and policy do not import each other; scoring knows nothing of enforcement"},
	{"policy", []string{"classifiers", "review", "streams", "internal/check", "internal/api", "cmd"}, "policy and classifiers do not import each other"},
	{"internal/check", []string{"review/store", "review/ui", "review/web", "review/ingest", "internal/api", "streams", "cmd"}, "the inline path never imports the review store or UI"},
	{"internal/api", []string{"review/store", "review/ui", "review/web", "review/ingest", "cmd"}, "the inline path never imports the review store or UI"},
	{"streams", []string{"review/store", "review/ui", "review/web", "review/ingest", "cmd"}, "the inline path never imports the review store or UI"},
}

func TestDependencyDirection(t *testing.T) {
	deps := listDeps(t)
	if len(deps) < 5 {
		t.Fatalf("go list found only %d packages", len(deps))
	}
	for pkgPath, ds := range deps {
		for _, r := range rules {
			if pkgPath != r.from && !strings.HasPrefix(pkgPath, r.from+"/") {
				continue
			}
			for _, d := range ds {
				if !strings.HasPrefix(d, mod) {
					continue
				}
				rel := strings.TrimPrefix(d, mod)
				for _, f := range r.forbidden {
					if f == "" || rel == f || strings.HasPrefix(rel, f+"/") {
						t.Errorf("%s imports %s: %s", pkgPath, rel, r.why)
					}
				}
			}
		}
	}
}
