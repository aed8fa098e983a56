//go:build linux && cgo

package main

/*
#include <malloc.h>

static int warden_arena_max(int n) {
#ifdef M_ARENA_MAX
	return mallopt(M_ARENA_MAX, n);
#else
	return 0;
#endif
}
*/
import "C"

// limitMallocArenas caps glibc's malloc arenas at n (mallopt M_ARENA_MAX).
// It reports false where the C library has no such setting (musl).
func limitMallocArenas(n int) bool { return C.warden_arena_max(C.int(n)) == 1 }
