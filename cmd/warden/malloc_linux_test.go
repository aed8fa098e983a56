//go:build linux && cgo

package main

import "testing"

// The build machines run glibc, whose mallopt knows M_ARENA_MAX: the cap
// must take effect there (a C library without it reports false).
func TestLimitMallocArenas(t *testing.T) {
	if !limitMallocArenas(2) {
		t.Fatal("mallopt(M_ARENA_MAX, 2) failed on this C library")
	}
}
