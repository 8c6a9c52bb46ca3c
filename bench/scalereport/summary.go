package scalereport

import (
	"fmt"
	"math"
	"slices"

	"github.com/spmd-go/spmd/bench/scalestat"
	"github.com/spmd-go/spmd/bench/sweep"
)

// Level is the confidence level of every interval reported.
const Level = 0.95

// PoorFit is the r² below which a fit is reported as poor.
const PoorFit = 0.9

// Summary is summary.json: a study's analysis.
type Summary struct {
	Mode string `json:"mode"`
	// TimeSource says which time was analysed: "app" (the program's span
	// from Init to Finalize), "wall" (the job's wall time), or "mixed".
	TimeSource string    `json:"time_source"`
	Baseline   *Baseline `json:"baseline"`
	Points     []Point   `json:"points"`
	Fits       Fits      `json:"fits"`
	Warnings   []string  `json:"warnings"`
	// Runs counts the timed runs, Failed those that failed.
	Runs       int                `json:"runs"`
	Failed     int                `json:"failed"`
	Study      StudyInfo          `json:"study"`
	Provenance sweep.Provenance   `json:"provenance"`
	Metrics    []sweep.MetricSpec `json:"metrics,omitempty"`
}

// StudyInfo is the study's configuration as the summary repeats it.
type StudyInfo struct {
	Program     string   `json:"program"`
	Args        []string `json:"args"`
	NP          []int    `json:"np"`
	Repeat      int      `json:"repeat"`
	Warmup      int      `json:"warmup"`
	Seed        uint64   `json:"seed"`
	Fill        string   `json:"fill"`
	Interrupted bool     `json:"interrupted,omitempty"`
}

// Baseline is the point speedups are measured against.
type Baseline struct {
	P       int        `json:"p"`
	MedianS float64    `json:"median_s"`
	CI95S   [2]float64 `json:"ci95_s"`
}

// Point is one process count's results. Optional numbers are null in
// JSON when they cannot be had (no good run, or p at the baseline).
type Point struct {
	P              int  `json:"p"`
	Nodes          int  `json:"nodes"`
	PPN            int  `json:"ppn"`
	Oversubscribed bool `json:"oversubscribed"`
	// N is the number of good timed runs, Failed the failed ones.
	N      int `json:"n"`
	Failed int `json:"failed"`
	// Status is "ok", or "no good run".
	Status  string      `json:"status"`
	MedianS *float64    `json:"median_s"`
	CI95S   *[2]float64 `json:"ci95_s"`
	// CICoverage is the interval's exact coverage; below 0.95 when N < 6.
	CICoverage float64  `json:"ci_coverage"`
	CIShort    bool     `json:"ci_short,omitempty"`
	WallS      *float64 `json:"wall_median_s"`
	Speedup    *float64 `json:"speedup"`
	Efficiency *float64 `json:"efficiency"`
	KarpFlatt  *float64 `json:"karp_flatt"`
	// ReferenceS is, in a weak study, the median time of this point's
	// problem on one rank; ScaledSpeedup is ReferenceS/MedianS.
	ReferenceS    *float64             `json:"reference_median_s,omitempty"`
	ScaledSpeedup *float64             `json:"scaled_speedup,omitempty"`
	Metrics       map[string]MetricVal `json:"metrics,omitempty"`
	times         []float64
}

// MetricVal is a metric's median over a point's good runs, with its
// interval.
type MetricVal struct {
	Median float64    `json:"median"`
	CI95   [2]float64 `json:"ci95"`
}

// Fits holds the fitted laws; each is null when it does not apply or the
// data cannot determine it.
type Fits struct {
	Amdahl    *AmdahlFit    `json:"amdahl"`
	Gustafson *GustafsonFit `json:"gustafson"`
}

// AmdahlFit is T(p) = a + b/p fitted to the points' medians.
type AmdahlFit struct {
	SerialFraction float64  `json:"serial_fraction"`
	Stderr         *float64 `json:"stderr"`
	R2             float64  `json:"r2"`
	AS             float64  `json:"a_s"`
	BS             float64  `json:"b_s"`
	MaxSpeedup     *float64 `json:"max_speedup"`
	N              int      `json:"n"`
}

// GustafsonFit is S(p) = s + (1−s)p fitted to the scaled speedups.
type GustafsonFit struct {
	SerialFraction float64  `json:"serial_fraction"`
	Stderr         *float64 `json:"stderr"`
	Points         int      `json:"points"`
}

// num returns &x, or nil when x is not a finite number.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Summarize analyses a study's records.
func Summarize(st *sweep.Study, recs []sweep.Record) *Summary {
	s := &Summary{Mode: string(st.Mode), Provenance: st.Provenance, Metrics: st.Metrics, Warnings: []string{},
		Study: StudyInfo{Program: st.Program, Args: st.Args, NP: st.NP, Repeat: st.Repeat, Warmup: st.Warmup,
			Seed: st.Seed, Fill: string(st.Fill), Interrupted: st.Interrupted}}
	if s.Mode == "" {
		s.Mode = string(sweep.Strong)
	}
	np := slices.Clone(st.NP)
	refs := map[int][]float64{}
	sources := map[string]bool{}
	byP := map[int]*Point{}
	for _, p := range np {
		pl := st.Placements[p]
		byP[p] = &Point{P: p, Nodes: pl.Nodes, PPN: pl.PPN, Oversubscribed: pl.Oversubscribed}
	}
	walls := map[int][]float64{}
	metrics := map[int]map[string][]float64{}
	for _, r := range recs {
		pt := byP[r.P]
		if pt == nil {
			continue
		}
		switch r.Kind {
		case sweep.Reference:
			if r.OK() {
				refs[r.P] = append(refs[r.P], r.TimeS)
			}
			continue
		case sweep.Timed:
		default:
			continue
		}
		s.Runs++
		if r.Oversubscribed {
			pt.Oversubscribed = true
		}
		if !r.OK() {
			pt.Failed++
			s.Failed++
			continue
		}
		sources[r.TimeSource] = true
		pt.times = append(pt.times, r.TimeS)
		walls[r.P] = append(walls[r.P], r.WallS)
		for k, v := range r.Metrics {
			if metrics[r.P] == nil {
				metrics[r.P] = map[string][]float64{}
			}
			metrics[r.P][k] = append(metrics[r.P][k], v)
		}
	}
	switch {
	case len(sources) > 1:
		s.TimeSource = "mixed"
		s.warn("some runs were timed by the program's span and others by wall time; the times are not comparable")
	case sources["wall"]:
		s.TimeSource = "wall"
		s.warn("the program's span could not be measured (no PMI, or a foreign launcher): times are whole-job wall times, launch cost included")
	default:
		s.TimeSource = "app"
	}
	for _, p := range np {
		pt := byP[p]
		pt.N = len(pt.times)
		if pt.N == 0 {
			pt.Status = "no good run"
			s.warn(fmt.Sprintf("p=%d: no good run (%d failed)", p, pt.Failed))
			s.Points = append(s.Points, *pt)
			continue
		}
		pt.Status = "ok"
		med := scalestat.Median(pt.times)
		ci := scalestat.MedianCI(pt.times, Level)
		pt.MedianS, pt.CI95S = &med, &[2]float64{ci.Lo, ci.Hi}
		pt.CICoverage, pt.CIShort = ci.Coverage, ci.Short
		pt.WallS = num(scalestat.Median(walls[p]))
		if len(refs[p]) > 0 {
			pt.ReferenceS = num(scalestat.Median(refs[p]))
		}
		for k, vs := range metrics[p] {
			mci := scalestat.MedianCI(vs, Level)
			if pt.Metrics == nil {
				pt.Metrics = map[string]MetricVal{}
			}
			pt.Metrics[k] = MetricVal{Median: scalestat.Median(vs), CI95: [2]float64{mci.Lo, mci.Hi}}
		}
		if s.Baseline == nil {
			s.Baseline = &Baseline{P: p, MedianS: med, CI95S: [2]float64{ci.Lo, ci.Hi}}
		}
		if pt.Failed > 0 {
			s.warn(fmt.Sprintf("p=%d: %d of %d runs failed", p, pt.Failed, pt.Failed+pt.N))
		}
		s.Points = append(s.Points, *pt)
	}
	if short := shortPoints(s.Points); len(short) > 0 {
		s.warn(fmt.Sprintf("p=%v: fewer than %d good runs, so the interval is the range of the runs and covers the median with less than 95 %% probability (see ci_coverage)",
			short, scalestat.MinRunsFor(Level)))
	}
	if over := oversubscribed(s.Points); len(over) > 0 {
		s.warn(fmt.Sprintf("p=%v: oversubscribed (more ranks than slots or CPUs on a host); those times include time slicing", over))
	}
	s.derive()
	return s
}

func (s *Summary) warn(w string) { s.Warnings = append(s.Warnings, w) }

func shortPoints(pts []Point) []int {
	var out []int
	for _, p := range pts {
		if p.N > 0 && p.CIShort {
			out = append(out, p.P)
		}
	}
	return out
}

func oversubscribed(pts []Point) []int {
	var out []int
	for _, p := range pts {
		if p.Oversubscribed {
			out = append(out, p.P)
		}
	}
	return out
}

// derive computes speedups, efficiencies, Karp–Flatt, the fits and the
// overlap warnings from the points' medians.
func (s *Summary) derive() {
	var obs []scalestat.Observation
	b := s.Baseline
	if b == nil {
		return
	}
	weak := s.Mode == string(sweep.Weak)
	var scaled []scalestat.ScaledPoint
	var prev *Point
	for i := range s.Points {
		pt := &s.Points[i]
		if pt.MedianS == nil {
			continue
		}
		t := *pt.MedianS
		if weak {
			pt.Efficiency = num(b.MedianS / t)
			if pt.P == 1 && pt.ReferenceS == nil {
				pt.ReferenceS = &t // at p = 1 the run is its own reference
			}
			if pt.ReferenceS != nil {
				pt.ScaledSpeedup = num(*pt.ReferenceS / t)
				pt.Speedup = pt.ScaledSpeedup
				scaled = append(scaled, scalestat.ScaledPoint{P: pt.P, Time: t, SerialTime: *pt.ReferenceS})
			}
		} else {
			sp := scalestat.Speedup(b.P, b.MedianS, t)
			pt.Speedup, pt.Efficiency = num(sp), num(scalestat.Efficiency(sp, pt.P))
			pt.KarpFlatt = num(scalestat.KarpFlatt(sp, pt.P))
		}
		if prev != nil && scalestat.Overlap(ci(prev), ci(pt)) {
			s.warn(fmt.Sprintf("p=%d and p=%d: their intervals overlap, so no difference between them can be claimed", prev.P, pt.P))
		}
		prev = pt
		obs = append(obs, scalestat.Observation{P: pt.P, Time: t})
	}
	if weak {
		if g, err := scalestat.FitGustafson(scaled); err == nil {
			s.Fits.Gustafson = &GustafsonFit{SerialFraction: g.SerialFraction, Stderr: num(g.SerialFractionSE), Points: g.Points}
		} else if len(s.Points) > 1 {
			s.warn("Gustafson fit: needs one-rank reference runs of the grown problems (--serial-reference) at some p > 1")
		}
		return
	}
	f, err := scalestat.FitAmdahl(obs)
	if err != nil {
		if len(s.Points) > 1 {
			s.warn("Amdahl fit: not enough good runs at distinct process counts")
		}
		return
	}
	s.Fits.Amdahl = &AmdahlFit{SerialFraction: f.SerialFraction, Stderr: num(f.SerialFractionSE), R2: f.R2,
		AS: f.A, BS: f.B, MaxSpeedup: num(f.MaxSpeedup), N: f.N}
	if f.R2 < PoorFit {
		s.warn(fmt.Sprintf("Amdahl fit is poor (r² = %.3f < %.1f): T(p) = a + b/p does not describe these times; overheads that grow with p are likely", f.R2, PoorFit))
	}
}

func ci(p *Point) scalestat.CI { return scalestat.CI{Lo: p.CI95S[0], Hi: p.CI95S[1]} }
