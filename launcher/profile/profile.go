package profile

import (
	"encoding/json"
	"io"
	"math/bits"

	"github.com/spmd-go/spmd/internal/profdata"
)

// Profile is profile.json: every reporting rank's counters, the job's
// communication matrix, and the ranks that did not report.
type Profile struct {
	Size  int           `json:"size"`
	Ranks []RankProfile `json:"ranks"`
	// Matrix rows are senders, columns receivers (world ranks); a missing
	// rank's row is all zeros, as nothing is known of what it sent.
	Matrix       Matrix `json:"matrix"`
	MissingRanks []int  `json:"missing_ranks"`
	// TraceDropped counts, per rank that traced, the events its buffer had
	// no room for (omitted when none were dropped).
	TraceDropped map[int]uint64 `json:"trace_dropped,omitempty"`
	// Partial, when not empty, says why some ranks' data stops short of
	// Finalize ("stopped by --timeout after 3s"); those ranks are marked
	// partial. Calls still under way when they stopped are not counted.
	Partial string `json:"partial,omitempty"`
}

// RankProfile is one rank's part of the profile.
type RankProfile struct {
	Rank    int                      `json:"rank"`
	Host    string                   `json:"host"`
	AppS    float64                  `json:"app_s"`  // Init → Finalize
	SpmdS   float64                  `json:"spmd_s"` // inside spmd calls
	Ops     map[string]OpProfile     `json:"ops"`
	Regions map[string]RegionProfile `json:"regions"`
	// Partial: the rank's data ends when the job was stopped, not at
	// Finalize (see Profile.Partial); app_s then ends there too.
	Partial bool `json:"partial,omitempty"`
}

// OpProfile is one operation's counters on one rank.
type OpProfile struct {
	Calls   uint64  `json:"calls"`
	Seconds float64 `json:"seconds"`
	Bytes   uint64  `json:"bytes"`
	MaxS    float64 `json:"max_s"`
	// Sizes counts the calls by payload size: only the non-empty buckets.
	Sizes []SizeBucket `json:"sizes,omitempty"`
}

// SizeBucket counts the calls whose payload was MinBytes..MaxBytes
// (inclusive); MaxBytes −1 means no upper bound.
type SizeBucket struct {
	MinBytes uint64 `json:"min_bytes"`
	MaxBytes int64  `json:"max_bytes"`
	Calls    uint64 `json:"calls"`
}

// RegionProfile is one user region on one rank.
type RegionProfile struct {
	Calls   uint64  `json:"calls"`
	Seconds float64 `json:"seconds"`
	SpmdS   float64 `json:"spmd_s"`
}

// Matrix is the rank×rank point-to-point traffic, collectives' internal
// messages included: Bytes[s][d] and Messages[s][d] from s to d.
type Matrix struct {
	Bytes    [][]uint64 `json:"bytes"`
	Messages [][]uint64 `json:"messages"`
}

// BucketRange returns the sizes bucket b of profdata's histograms counts.
func BucketRange(b int) (lo uint64, hi int64) {
	switch {
	case b <= 0:
		return 0, 0
	case b >= profdata.HistBuckets-1:
		return 1 << (profdata.HistBuckets - 2), -1
	}
	return 1 << (b - 1), 1<<b - 1
}

// bucketOf is the bucket profdata's histograms count a size in (for tests
// and the text report's labels).
func bucketOf(size uint64) int {
	if size == 0 {
		return 0
	}
	return min(bits.Len64(size), profdata.HistBuckets-1)
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// Build assembles the profile of a job of len(data) ranks; data[r] is nil
// for a rank that did not report.
func Build(data []*profdata.RankData) *Profile {
	n := len(data)
	p := &Profile{
		Size: n, Ranks: []RankProfile{}, MissingRanks: []int{},
		Matrix: Matrix{Bytes: make([][]uint64, n), Messages: make([][]uint64, n)},
	}
	for r, d := range data {
		p.Matrix.Bytes[r] = make([]uint64, n)
		p.Matrix.Messages[r] = make([]uint64, n)
		if d == nil {
			p.MissingRanks = append(p.MissingRanks, r)
			continue
		}
		copy(p.Matrix.Bytes[r], d.SentBytes)
		copy(p.Matrix.Messages[r], d.SentMsgs)
		if d.TraceDropped > 0 {
			if p.TraceDropped == nil {
				p.TraceDropped = map[int]uint64{}
			}
			p.TraceDropped[r] = d.TraceDropped
		}
		p.Ranks = append(p.Ranks, rankProfile(d))
		if d.Partial != "" && p.Partial == "" {
			p.Partial = d.Partial
		}
	}
	return p
}

// PartialRanks returns the ranks whose data is partial, in order.
func (p *Profile) PartialRanks() []int {
	var out []int
	for _, rp := range p.Ranks {
		if rp.Partial {
			out = append(out, rp.Rank)
		}
	}
	return out
}

func rankProfile(d *profdata.RankData) RankProfile {
	rp := RankProfile{
		Rank: d.Rank, Host: d.Host,
		AppS: seconds(d.FinalizeNs - d.InitNs), SpmdS: seconds(d.SpmdNs),
		Ops: map[string]OpProfile{}, Regions: map[string]RegionProfile{},
		Partial: d.Partial != "",
	}
	for name, op := range d.Ops {
		o := OpProfile{Calls: op.Calls, Seconds: seconds(op.Ns), Bytes: op.Bytes, MaxS: seconds(op.MaxNs)}
		for b, c := range op.Hist {
			if c > 0 {
				lo, hi := BucketRange(b)
				o.Sizes = append(o.Sizes, SizeBucket{MinBytes: lo, MaxBytes: hi, Calls: c})
			}
		}
		rp.Ops[name] = o
	}
	for name, rg := range d.Regions {
		rp.Regions[name] = RegionProfile{Calls: rg.Calls, Seconds: seconds(rg.Ns), SpmdS: seconds(rg.SpmdNs)}
	}
	return rp
}

// WriteJSON writes p as JSON on one line: indented, a large job's matrix
// would take a line per cell (jq . shows it indented).
func (p *Profile) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(p)
}
