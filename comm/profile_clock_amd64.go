package comm

// haveTSC: this processor has a time-stamp counter (rdtsc).
const haveTSC = true

// rdtsc reads the time-stamp counter.
func rdtsc() int64
