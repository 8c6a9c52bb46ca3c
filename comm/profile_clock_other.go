//go:build !amd64

package comm

// haveTSC: no time-stamp counter is read on this architecture.
const haveTSC = false

func rdtsc() int64 { return 0 }
