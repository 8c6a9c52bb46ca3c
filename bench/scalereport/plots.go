package scalereport

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot is one figure of a report, rendered in both formats.
type Plot struct {
	Name  string // file name without extension: time, speedup, efficiency, karp-flatt
	Title string
	PNG   []byte
	SVG   []byte
}

// plotSize is every figure's size.
var plotWidth, plotHeight = 16 * vg.Centimeter, 11 * vg.Centimeter

var (
	colMeasured = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colIdeal    = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	colFit      = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colOver     = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// Plots draws the summary's figures: for a strong study time (log–log,
// with the ideal line and the fitted Amdahl law), speedup, efficiency and
// Karp–Flatt; for a weak one time, efficiency and, with reference runs,
// scaled speedup. Points without a good run are left out of the figures
// (the tables list them).
func Plots(s *Summary) ([]Plot, error) {
	var figs []*figure
	weak := s.Mode == "weak"
	figs = append(figs, timePlot(s, weak))
	if sp := speedupPlot(s, weak); sp != nil {
		figs = append(figs, sp)
	}
	figs = append(figs, efficiencyPlot(s, weak))
	if !weak {
		figs = append(figs, karpFlattPlot(s))
	}
	var out []Plot
	for _, f := range figs {
		if f.err != nil {
			return nil, fmt.Errorf("plot %s: %w", f.name, f.err)
		}
		pl := Plot{Name: f.name, Title: f.p.Title.Text}
		var err error
		if pl.PNG, err = render(f.p, "png"); err == nil {
			pl.SVG, err = render(f.p, "svg")
		}
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", f.name, err)
		}
		out = append(out, pl)
	}
	return out, nil
}

type figure struct {
	name string
	p    *plot.Plot
	err  error
}

// render draws p in format. gonum/plot panics on data its axes cannot
// show (a value not above zero on a log axis); such a panic is returned
// as an error, so that one bad figure cannot take the report down.
func render(p *plot.Plot, format string) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("drawing %s: %v", format, r)
		}
	}()
	w, err := p.WriterTo(plotWidth, plotHeight, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = w.WriteTo(&buf)
	return buf.Bytes(), err
}

// newPlot makes a plot with p on a base-2 log x axis ticked at the
// study's process counts.
func newPlot(s *Summary, title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "ranks p"
	p.Y.Label.Text = ylabel
	p.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	for _, pt := range s.Points {
		ticks = append(ticks, plot.Tick{Value: float64(pt.P), Label: strconv.Itoa(pt.P)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	lo, hi := pRange(s)
	p.X.Min, p.X.Max = lo/1.15, hi*1.15
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

func pRange(s *Summary) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, pt := range s.Points {
		lo, hi = math.Min(lo, float64(pt.P)), math.Max(hi, float64(pt.P))
	}
	if lo == hi {
		lo, hi = lo/2, hi*2
	}
	return lo, hi
}

// series holds points with optional intervals, split into normal and
// oversubscribed ones so that the latter can be marked.
type series struct {
	xys, over plotter.XYs
	errs      plotter.YErrors
	errXYs    plotter.XYs
}

func (sr *series) add(p int, y float64, lo, hi *float64, oversub bool) {
	if math.IsNaN(y) || math.IsInf(y, 0) {
		return
	}
	pt := plotter.XY{X: float64(p), Y: y}
	if oversub {
		sr.over = append(sr.over, pt)
	} else {
		sr.xys = append(sr.xys, pt)
	}
	if lo != nil && hi != nil {
		sr.errXYs = append(sr.errXYs, pt)
		sr.errs = append(sr.errs, struct{ Low, High float64 }{y - *lo, *hi - y})
	}
}

// errBars implements what NewYErrorBars needs.
type errBars struct {
	plotter.XYs
	plotter.YErrors
}

// draw adds the series to p with a legend entry name, a line through the
// points when line is set.
func (sr *series) draw(p *plot.Plot, name string, line bool) error {
	all := append(append(plotter.XYs{}, sr.xys...), sr.over...)
	sortXY(all)
	if line && len(all) > 1 {
		l, err := plotter.NewLine(all)
		if err != nil {
			return err
		}
		l.Color = colMeasured
		p.Add(l)
	}
	if len(sr.xys) > 0 {
		sc, err := plotter.NewScatter(sr.xys)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: colMeasured, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		p.Legend.Add(name, sc)
	}
	if len(sr.over) > 0 {
		sc, err := plotter.NewScatter(sr.over)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: colOver, Radius: vg.Points(5), Shape: draw.BoxGlyph{}}
		p.Add(sc)
		p.Legend.Add(name+", oversubscribed (†)", sc)
	}
	if len(sr.errs) > 0 {
		eb, err := plotter.NewYErrorBars(errBars{sr.errXYs, sr.errs})
		if err != nil {
			return err
		}
		eb.Color = colMeasured
		p.Add(eb)
	}
	return nil
}

func sortXY(xys plotter.XYs) {
	for i := 1; i < len(xys); i++ {
		for j := i; j > 0 && xys[j].X < xys[j-1].X; j-- {
			xys[j], xys[j-1] = xys[j-1], xys[j]
		}
	}
}

// function adds f over the plot's p range as a line. Where f has no
// value the plot can show (NaN, infinite, or not positive on a log y
// axis: a poor fit of a time that grows with p can dip below zero) the
// line breaks, so that the values it does show stay where they belong.
func function(p *plot.Plot, s *Summary, name string, c color.Color, dashed bool, f func(float64) float64) {
	lo, hi := pRange(s)
	_, logY := p.Y.Scale.(plot.LogScale)
	var segs []plotter.XYs
	var cur plotter.XYs
	for i := 0; i <= 64; i++ {
		x := lo * math.Pow(hi/lo, float64(i)/64)
		y := f(x)
		if math.IsNaN(y) || math.IsInf(y, 0) || (logY && y <= 0) {
			if len(cur) > 1 {
				segs = append(segs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: x, Y: y})
	}
	if len(cur) > 1 {
		segs = append(segs, cur)
	}
	for i, xys := range segs {
		l, err := plotter.NewLine(xys)
		if err != nil {
			return
		}
		l.Color = c
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		if i == 0 {
			p.Legend.Add(name, l)
		}
	}
}

func timePlot(s *Summary, weak bool) *figure {
	title := "Time against ranks (median, 95% interval)"
	p := newPlot(s, title, "time (s)")
	if !weak {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	var sr series
	for _, pt := range s.Points {
		if pt.MedianS != nil {
			sr.add(pt.P, *pt.MedianS, &pt.CI95S[0], &pt.CI95S[1], pt.Oversubscribed)
		}
	}
	if b := s.Baseline; b != nil {
		if weak {
			function(p, s, fmt.Sprintf("ideal (T = %.3g s)", b.MedianS), colIdeal, true, func(float64) float64 { return b.MedianS })
		} else {
			function(p, s, "ideal (T₀·p₀/p)", colIdeal, true, func(x float64) float64 { return b.MedianS * float64(b.P) / x })
		}
	}
	if f := s.Fits.Amdahl; f != nil {
		function(p, s, fmt.Sprintf("Amdahl fit %.3g + %.3g/p", f.AS, f.BS), colFit, false, func(x float64) float64 { return f.AS + f.BS/x })
	}
	err := sr.draw(p, "measured", false)
	if weak {
		p.Y.Min = 0 // flat is the ideal: show it against zero
		p.Y.Max *= 1.15
	} else {
		loosenLogY(p)
		p.Y.Tick.Marker = niceLogTicks{}
	}
	return &figure{name: "time", p: p, err: err}
}

// loosenLogY widens a log y axis by a little on both sides.
func loosenLogY(p *plot.Plot) {
	if p.Y.Min > 0 && p.Y.Max > 0 {
		p.Y.Min, p.Y.Max = p.Y.Min/1.2, p.Y.Max*1.2
	}
}

func speedupPlot(s *Summary, weak bool) *figure {
	title, ylabel := "Speedup against ranks", "speedup"
	if weak {
		title, ylabel = "Scaled speedup (Gustafson) against ranks", "scaled speedup T₁(p)/T(p)"
	}
	p := newPlot(s, title, ylabel)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var sr series
	for _, pt := range s.Points {
		if pt.Speedup != nil && *pt.Speedup > 0 {
			sr.add(pt.P, *pt.Speedup, nil, nil, pt.Oversubscribed)
		}
	}
	if len(sr.xys)+len(sr.over) == 0 {
		return nil
	}
	function(p, s, "ideal (S = p)", colIdeal, true, func(x float64) float64 { return x })
	if f := s.Fits.Amdahl; f != nil {
		t1 := f.AS + f.BS
		function(p, s, fmt.Sprintf("Amdahl, serial fraction %.3f", f.SerialFraction), colFit, false,
			func(x float64) float64 { return t1 / (f.AS + f.BS/x) })
	}
	if g := s.Fits.Gustafson; g != nil {
		function(p, s, fmt.Sprintf("Gustafson, serial fraction %.3f", g.SerialFraction), colFit, false,
			func(x float64) float64 { return g.SerialFraction + (1-g.SerialFraction)*x })
	}
	err := sr.draw(p, "measured", true)
	loosenLogY(p)
	p.Y.Tick.Marker = niceLogTicks{}
	p.Legend.Left = true
	return &figure{name: "speedup", p: p, err: err}
}

func efficiencyPlot(s *Summary, weak bool) *figure {
	title := "Parallel efficiency S(p)/p"
	if weak {
		title = "Weak-scaling efficiency T(p₀)/T(p)"
	}
	p := newPlot(s, title, "efficiency")
	var sr series
	for _, pt := range s.Points {
		if pt.Efficiency != nil {
			sr.add(pt.P, *pt.Efficiency, nil, nil, pt.Oversubscribed)
		}
	}
	function(p, s, "ideal", colIdeal, true, func(float64) float64 { return 1 })
	if f := s.Fits.Amdahl; f != nil && !weak {
		t1 := f.AS + f.BS
		function(p, s, "Amdahl fit", colFit, false, func(x float64) float64 { return t1 / (f.AS + f.BS/x) / x })
	}
	err := sr.draw(p, "measured", true)
	p.Legend.Top, p.Legend.Left = false, true
	p.Y.Min = 0
	p.Y.Max = math.Max(p.Y.Max, 1.1)
	return &figure{name: "efficiency", p: p, err: err}
}

func karpFlattPlot(s *Summary) *figure {
	p := newPlot(s, "Karp–Flatt serial fraction e(p)", "e(p)")
	var sr series
	for _, pt := range s.Points {
		if pt.KarpFlatt != nil {
			sr.add(pt.P, *pt.KarpFlatt, nil, nil, pt.Oversubscribed)
		}
	}
	if f := s.Fits.Amdahl; f != nil {
		function(p, s, fmt.Sprintf("Amdahl serial fraction %.3f", f.SerialFraction), colFit, true,
			func(float64) float64 { return f.SerialFraction })
	}
	err := sr.draw(p, "measured", true)
	p.Legend.Top = false
	if p.Y.Min > 0 {
		p.Y.Min = 0
	}
	return &figure{name: "karp-flatt", p: p, err: err}
}

// niceLogTicks labels a log axis at 1, 2 and 5 times the powers of ten,
// with unlabelled ticks between, so that short ranges get labels too.
type niceLogTicks struct{}

func (niceLogTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if lo <= 0 || hi <= 0 {
		return nil
	}
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}
