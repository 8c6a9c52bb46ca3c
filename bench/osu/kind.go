package osu

import (
	"fmt"
	"strings"
)

// Kind names one benchmark.
type Kind string

// The benchmarks.
const (
	Latency     Kind = "latency"   // one-way latency of a blocking ping-pong, µs
	Bandwidth   Kind = "bandwidth" // unidirectional windowed bandwidth, MB/s
	BiBandwidth Kind = "bibw"      // bidirectional windowed bandwidth, MB/s
)

// Kinds lists every benchmark, in the order they are documented.
var Kinds = []Kind{Latency, Bandwidth, BiBandwidth}

// ParseKind returns the Kind named s ("bw" is accepted for Bandwidth).
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(s)); k {
	case Latency, Bandwidth, BiBandwidth:
		return k, nil
	case "bw":
		return Bandwidth, nil
	}
	return "", fmt.Errorf("unknown benchmark %q (want latency, bandwidth or bibw): %w", s, ErrOptions)
}

// Title is the benchmark's one-line description, as the first line of its
// table.
func (k Kind) Title() string {
	switch k {
	case Latency:
		return "OSU-method Latency Test"
	case Bandwidth:
		return "OSU-method Bandwidth Test"
	case BiBandwidth:
		return "OSU-method Bi-Directional Bandwidth Test"
	}
	return string(k)
}

// Column is the heading of the value column, e.g. "Latency (us)".
func (k Kind) Column() string {
	if k == Latency {
		return "Latency (us)"
	}
	return "Bandwidth (MB/s)"
}

// Unit is the unit of the values: "us" or "MB/s".
func (k Kind) Unit() string {
	if k == Latency {
		return "us"
	}
	return "MB/s"
}

// LowerIsBetter reports whether a smaller value is a better result.
func (k Kind) LowerIsBetter() bool { return k == Latency }
