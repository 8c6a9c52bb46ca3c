package profile

import "github.com/spmd-go/spmd/internal/profdata"

// ClockMap maps one rank's clock to the collector's: a linear
// interpolation between the offsets measured at the start and at the end.
// The zero ClockMap is the identity.
type ClockMap struct {
	// Offset0 is the rank's clock minus the collector's at rank time
	// Rank0; Offset1 the same at Rank1. Rank1 == Rank0 means a constant
	// offset.
	Rank0, Offset0 int64
	Rank1, Offset1 int64
	// UncertaintyNs bounds the error of the measured offsets: half the
	// longer round trip of the two samples kept.
	UncertaintyNs int64
	// Measured says whether any sample was taken.
	Measured bool
}

// NewClockMap keeps the shortest-round-trip sample among the start samples
// and among the finalize samples and interpolates between them. Without
// finalize samples (or start samples) the offset is constant; without any
// it is the identity.
func NewClockMap(samples []profdata.ClockSample) ClockMap {
	var start, end *profdata.ClockSample
	for i := range samples {
		s := &samples[i]
		if s.RTTNs < 0 {
			continue
		}
		best := &start
		if s.AtFinalize {
			best = &end
		}
		if *best == nil || s.RTTNs < (*best).RTTNs {
			*best = s
		}
	}
	switch {
	case start == nil && end == nil:
		return ClockMap{}
	case start == nil:
		start = end
	case end == nil:
		end = start
	}
	m := ClockMap{
		Rank0: start.CollectorNs + start.OffsetNs, Offset0: start.OffsetNs,
		Rank1: end.CollectorNs + end.OffsetNs, Offset1: end.OffsetNs,
		UncertaintyNs: max(start.RTTNs, end.RTTNs) / 2,
		Measured:      true,
	}
	if m.Rank1 <= m.Rank0 {
		// Samples out of order or at one instant: no drift to learn.
		m.Rank1, m.Offset1 = m.Rank0, m.Offset0
	}
	return m
}

// Offset returns the interpolated offset at rank time t (extrapolated
// linearly outside the measured interval).
func (m ClockMap) Offset(t int64) int64 {
	if m.Rank1 == m.Rank0 {
		return m.Offset0
	}
	// In floating point: the products of nanosecond spans overflow int64.
	slope := float64(m.Offset1-m.Offset0) / float64(m.Rank1-m.Rank0)
	return m.Offset0 + int64(slope*float64(t-m.Rank0))
}

// Map returns the collector time of rank time t.
func (m ClockMap) Map(t int64) int64 { return t - m.Offset(t) }
