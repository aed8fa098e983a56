//go:build race

package detect

// raceEnabled: timing tests are meaningless under the race detector.
const raceEnabled = true
