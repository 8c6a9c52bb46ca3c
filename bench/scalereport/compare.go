package scalereport

import (
	"fmt"
	"image/color"
	"io"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/spmd-go/spmd/bench/scalestat"
)

// CompareRow is one process count present in both studies.
type CompareRow struct {
	P        int
	A, B     float64 // medians, seconds
	NA, NB   int
	Ratio    scalestat.Ratio // B/A with a bootstrap interval
	Verdict  string          // "B faster", "B slower", or "no significant difference"
	Overfull bool            // oversubscribed in either study
}

// compareSeed seeds the bootstrap so that a comparison is reproducible.
const compareSeed = 20261206

// Compare compares two studies point by point: the ratio of the medians,
// B over A, with a 95 % percentile-bootstrap interval over the runs of
// each (see scalestat.RatioCI). Points missing from either study, or
// without a good run in either, are left out.
func Compare(a, b *Summary) []CompareRow {
	var rows []CompareRow
	for _, pa := range a.Points {
		for _, pb := range b.Points {
			if pa.P != pb.P || pa.N == 0 || pb.N == 0 {
				continue
			}
			r := scalestat.RatioCI(pa.times, pb.times, Level, compareSeed+uint64(pa.P))
			v := "no significant difference"
			switch {
			case r.Significant && r.Value < 1:
				v = "B faster"
			case r.Significant:
				v = "B slower"
			}
			rows = append(rows, CompareRow{P: pa.P, A: *pa.MedianS, B: *pb.MedianS, NA: pa.N, NB: pb.N, Ratio: r,
				Verdict: v, Overfull: pa.Oversubscribed || pb.Oversubscribed})
		}
	}
	return rows
}

// WriteComparison writes the comparison as a Markdown table, with nameA
// and nameB naming the studies.
func WriteComparison(w io.Writer, nameA, nameB string, rows []CompareRow) error {
	var b strings.Builder
	fmt.Fprintf(&b, "A: %s\nB: %s\n\nRatio = median B / median A, with a 95 %% percentile-bootstrap interval (runs resampled within each study); significant when the interval excludes 1.\n\n", nameA, nameB)
	b.WriteString("| p | A median (s) | n | B median (s) | n | B/A | 95% CI | verdict |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		mark := ""
		if r.Overfull {
			mark = " †"
		}
		fmt.Fprintf(&b, "| %d%s | %s | %d | %s | %d | %.3f | [%.3f, %.3f] | %s |\n", r.P, mark, fs(r.A), r.NA, fs(r.B), r.NB,
			r.Ratio.Value, r.Ratio.Lo, r.Ratio.Hi, r.Verdict)
	}
	if len(rows) == 0 {
		b.WriteString("\nThe studies have no process count with good runs in common.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ComparePlot draws both studies' median times against p on one log–log
// plot, with their intervals.
func ComparePlot(a, b *Summary, nameA, nameB string) (Plot, error) {
	both := &Summary{Points: append(append([]Point{}, a.Points...), b.Points...)}
	p := newPlot(dedupe(both), "Time against ranks: A and B (median, 95% interval)", "time (s)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	for i, s := range []*Summary{a, b} {
		name := []string{"A: " + nameA, "B: " + nameB}[i]
		c := []color.Color{colMeasured, colFit}[i]
		var xys plotter.XYs
		var errs plotter.YErrors
		for _, pt := range s.Points {
			if pt.MedianS == nil {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(pt.P), Y: *pt.MedianS})
			errs = append(errs, struct{ Low, High float64 }{*pt.MedianS - pt.CI95S[0], pt.CI95S[1] - *pt.MedianS})
		}
		if len(xys) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return Plot{}, err
		}
		l.Color = c
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}}[i]}
		eb, err := plotter.NewYErrorBars(errBars{xys, errs})
		if err != nil {
			return Plot{}, err
		}
		eb.Color = c
		p.Add(l, sc, eb)
		p.Legend.Add(name, l, sc)
	}
	loosenLogY(p)
	p.Y.Tick.Marker = niceLogTicks{}
	out := Plot{Name: "compare", Title: p.Title.Text}
	var err error
	if out.PNG, err = render(p, "png"); err == nil {
		out.SVG, err = render(p, "svg")
	}
	return out, err
}

// dedupe returns s with one point per p, for the axis ticks.
func dedupe(s *Summary) *Summary {
	seen := map[int]bool{}
	out := &Summary{}
	for _, pt := range s.Points {
		if !seen[pt.P] {
			seen[pt.P] = true
			out.Points = append(out.Points, pt)
		}
	}
	return out
}
