package osu

// Result is the measurement of one message size.
type Result struct {
	Size  int     `json:"size"`  // message size, bytes
	Iters int     `json:"iters"` // timed iterations
	Value float64 `json:"value"` // µs (latency) or MB/s (bandwidth), see Kind.Unit
	// Min and Max are, for collectives, the smallest and largest of the
	// ranks' average latencies, µs; Value is their mean over ranks.
	Min float64 `json:"min,omitempty"`
	Max float64 `json:"max,omitempty"`
}
