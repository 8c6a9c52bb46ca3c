package profile

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// TopOps is how many operations the text report lists.
const TopOps = 12

// MatrixTextLimit is the largest job whose matrix the text report prints
// whole; for larger ones it lists the busiest pairs.
const MatrixTextLimit = 16

// opTotal is one operation summed over the ranks.
type opTotal struct {
	Name         string
	Calls, Bytes uint64
	Seconds      float64
	MaxS         float64
	PerRank      spread // seconds per rank
	Sizes        []uint64
}

// opTotals sums every operation over the reporting ranks, busiest first.
func (p *Profile) opTotals() []opTotal {
	byName := map[string]*opTotal{}
	for _, rp := range p.Ranks {
		for name, op := range rp.Ops {
			t := byName[name]
			if t == nil {
				t = &opTotal{Name: name, Sizes: make([]uint64, maxBuckets)}
				byName[name] = t
			}
			t.Calls += op.Calls
			t.Bytes += op.Bytes
			t.Seconds += op.Seconds
			t.MaxS = max(t.MaxS, op.MaxS)
			for _, b := range op.Sizes {
				t.Sizes[bucketOf(b.MinBytes)] += b.Calls
			}
		}
	}
	ranks := make([]int, len(p.Ranks))
	for i, rp := range p.Ranks {
		ranks[i] = rp.Rank
	}
	var out []opTotal
	for name, t := range byName {
		secs := make([]float64, len(p.Ranks))
		for i, rp := range p.Ranks {
			secs[i] = rp.Ops[name].Seconds
		}
		t.PerRank = spreadOf(ranks, secs)
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b opTotal) int {
		if c := cmp.Compare(b.Seconds, a.Seconds); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// WriteText writes the concise report spmdrun prints after a profiled job
// (profile.txt), in the spirit of mpiP's: how much of the run each rank
// spent in spmd, the busiest operations and their imbalance across ranks,
// their message sizes, the user's regions, and who sent what to whom.
func (p *Profile) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	p.writeHeader(ew)
	if len(p.Ranks) > 0 {
		p.writeShare(ew)
		p.writeOps(ew)
		p.writeSizes(ew)
		p.writeRegions(ew)
		p.writeMatrix(ew)
	}
	return ew.err
}

// errWriter keeps the first write error, so the report's many prints need
// no checks of their own.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return len(b), nil
	}
	_, e.err = e.w.Write(b)
	return len(b), nil
}

func (p *Profile) writeHeader(w io.Writer) {
	if len(p.Ranks) == 0 {
		fmt.Fprintf(w, "spmd profile: no data from any of the %s (do they use spmd's comm, and did they reach Finalize?)\n", plural(p.Size, "rank"))
		return
	}
	hosts := map[string]bool{}
	for _, rp := range p.Ranks {
		hosts[rp.Host] = true
	}
	fmt.Fprintf(w, "spmd profile: %s on %s", plural(p.Size, "rank"), plural(len(hosts), "host"))
	if len(p.MissingRanks) > 0 {
		fmt.Fprintf(w, "; no data from %s (%d of %d)", RankList(p.MissingRanks), len(p.MissingRanks), p.Size)
	}
	fmt.Fprintln(w)
	if p.Partial != "" {
		fmt.Fprintf(w, "partial: %s: the data of %s ends there, without the calls then under way\n",
			p.Partial, rankWord(p.PartialRanks()))
	}
	for _, r := range sortedKeys(p.TraceDropped) {
		fmt.Fprintf(w, "trace of rank %d is incomplete: %d events did not fit its buffer (--trace-limit)\n", r, p.TraceDropped[r])
	}
}

func (p *Profile) writeShare(w io.Writer) {
	ranks := make([]int, len(p.Ranks))
	share := make([]float64, len(p.Ranks))
	for i, rp := range p.Ranks {
		ranks[i] = rp.Rank
		if rp.AppS > 0 {
			share[i] = rp.SpmdS / rp.AppS
		}
	}
	s := spreadOf(ranks, share)
	fmt.Fprintf(w, "\ntime in spmd (share of Init→Finalize): min %.1f%% (rank %d)  mean %.1f%%  max %.1f%% (rank %d)\n",
		100*s.Min, s.MinRank, 100*s.Mean, 100*s.Max, s.MaxRank)
}

func (p *Profile) writeOps(w io.Writer) {
	ops := p.opTotals()
	if len(ops) == 0 {
		return
	}
	var spmd float64
	for _, rp := range p.Ranks {
		spmd += rp.SpmdS
	}
	fmt.Fprintf(w, "\ntop operations by time (summed over ranks; CV: imbalance across ranks):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "operation\tcalls\ttime\tof spmd\tmean call\tmax call\tbytes\tCV\t\n")
	for i, op := range ops {
		if i == TopOps {
			fmt.Fprintf(tw, "(%d more)\t\t\t\t\t\t\t\t\n", len(ops)-TopOps)
			break
		}
		frac := 0.0
		if spmd > 0 {
			frac = op.Seconds / spmd
		}
		mean := 0.0
		if op.Calls > 0 {
			mean = op.Seconds / float64(op.Calls)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f%%\t%s\t%s\t%s\t%.2f\t\n", op.Name, op.Calls, Duration(op.Seconds), 100*frac,
			Duration(mean), Duration(op.MaxS), Bytes(op.Bytes), op.PerRank.CV)
	}
	tw.Flush()
}

func (p *Profile) writeSizes(w io.Writer) {
	ops := p.opTotals()
	slices.SortFunc(ops, func(a, b opTotal) int { return strings.Compare(a.Name, b.Name) })
	header := false
	for _, op := range ops {
		var parts []string
		for b, c := range op.Sizes {
			if c > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", BucketLabel(b), c))
			}
		}
		if len(parts) == 0 || (len(parts) == 1 && op.Sizes[0] > 0) {
			continue // no payloads (Barrier, Wait)
		}
		if !header {
			fmt.Fprintf(w, "\nmessage sizes (calls per size):\n")
			header = true
		}
		fmt.Fprintf(w, "  %-12s %s\n", op.Name, strings.Join(parts, "  "))
	}
}

func (p *Profile) writeRegions(w io.Writer) {
	type total struct {
		calls         uint64
		seconds, spmd float64
		maxS          float64
		maxRank       int
	}
	byName := map[string]*total{}
	for _, rp := range p.Ranks {
		for name, rg := range rp.Regions {
			t := byName[name]
			if t == nil {
				t = &total{maxRank: rp.Rank}
				byName[name] = t
			}
			t.calls += rg.Calls
			t.seconds += rg.Seconds
			t.spmd += rg.SpmdS
			if rg.Seconds > t.maxS {
				t.maxS, t.maxRank = rg.Seconds, rp.Rank
			}
		}
	}
	if len(byName) == 0 {
		return
	}
	fmt.Fprintf(w, "\nregions:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "region\tcalls\tmean/rank\tmax (rank)\tin spmd\t\n")
	for _, name := range sortedKeys(byName) {
		t := byName[name]
		frac := 0.0
		if t.seconds > 0 {
			frac = t.spmd / t.seconds
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s (%d)\t%.1f%%\t\n", name, t.calls,
			Duration(t.seconds/float64(len(p.Ranks))), Duration(t.maxS), t.maxRank, 100*frac)
	}
	tw.Flush()
}

func (p *Profile) writeMatrix(w io.Writer) {
	n := p.Size
	var total uint64
	for _, row := range p.Matrix.Messages {
		for _, c := range row {
			total += c
		}
	}
	if total == 0 {
		return
	}
	if n > MatrixTextLimit {
		p.writeBusiestPairs(w)
		return
	}
	for _, m := range []struct {
		title string
		cells [][]uint64
		cell  func(uint64) string
	}{
		{"messages", p.Matrix.Messages, func(v uint64) string { return fmt.Sprint(v) }},
		{"bytes", p.Matrix.Bytes, Bytes},
	} {
		fmt.Fprintf(w, "\n%s sent (row: from, column: to):\n", m.title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "\t")
		for d := range n {
			fmt.Fprintf(tw, "%d\t", d)
		}
		fmt.Fprintln(tw)
		for s := range n {
			fmt.Fprintf(tw, "%d\t", s)
			for d := range n {
				if v := m.cells[s][d]; v > 0 {
					fmt.Fprintf(tw, "%s\t", m.cell(v))
				} else {
					fmt.Fprint(tw, ".\t")
				}
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
}

func (p *Profile) writeBusiestPairs(w io.Writer) {
	type pair struct {
		from, to    int
		bytes, msgs uint64
	}
	var pairs []pair
	for s, row := range p.Matrix.Bytes {
		for d, b := range row {
			if m := p.Matrix.Messages[s][d]; m > 0 {
				pairs = append(pairs, pair{s, d, b, m})
			}
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Compare(b.bytes, a.bytes) })
	fmt.Fprintf(w, "\nbusiest pairs of %d communicating (whole matrix in profile.json and matrix.png):\n", len(pairs))
	for i, pr := range pairs {
		if i == 10 {
			break
		}
		fmt.Fprintf(w, "  %d → %d: %s in %d messages\n", pr.from, pr.to, Bytes(pr.bytes), pr.msgs)
	}
}

// rankWord names ranks: "rank 3" or "ranks 0-2,5".
func rankWord(ranks []int) string {
	if len(ranks) == 1 {
		return "rank " + RankList(ranks)
	}
	return "ranks " + RankList(ranks)
}
