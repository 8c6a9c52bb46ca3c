//go:build race

package shm

// raceEnabled: the race detector slows the runtime several times over,
// so timing bounds do not hold under it.
const raceEnabled = true
