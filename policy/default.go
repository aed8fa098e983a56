package policy

import (
	"embed"
	"io/fs"
)

//go:embed all:bundle
var defaultBundle embed.FS

// DefaultBundle is the bundle embedded in the binary (policy/bundle).
func DefaultBundle() fs.FS {
	sub, err := fs.Sub(defaultBundle, "bundle")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
