package osu

// Result is the measurement of one message size.
type Result struct {
	Size  int     `json:"size"`  // message size, bytes
	Iters int     `json:"iters"` // timed iterations
	Value float64 `json:"value"` // µs (latency) or MB/s (bandwidth), see Kind.Unit
}
