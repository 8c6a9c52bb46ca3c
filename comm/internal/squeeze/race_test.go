//go:build race

package squeeze

// raceEnabled: under the race detector sync.Pool drops what it holds at
// random, so pooled buffers (zstd's) are allocated again.
const raceEnabled = true
