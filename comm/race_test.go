//go:build race

package comm_test

// raceEnabled: the race detector slows the runtime several times over, so
// long loops run fewer iterations.
const raceEnabled = true
