package classifiers

import (
	"fmt"
	"os"
)

// OpenDirs loads one model from each directory of the local file system (a
// directory holding manifest.json, of any kind: typically a user's Hugging
// Face export with a manifest written by NewHFManifest). If one fails, the
// models already opened are closed. Init must have been called.
func OpenDirs(dirs []string, opts Options) ([]Scorer, error) {
	var out []Scorer
	for _, dir := range dirs {
		m, err := Open(os.DirFS(dir), ".", opts)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("model directory %s: %w", dir, err)
		}
		out = append(out, m)
	}
	return out, nil
}
