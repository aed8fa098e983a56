//go:build !linux || !cgo

package main

// limitMallocArenas is a no-op without glibc: it reports false.
func limitMallocArenas(int) bool { return false }
