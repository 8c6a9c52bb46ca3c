package scalereport

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/spmd-go/spmd/bench/sweep"
)

// study returns a study of np and records with the given times per p;
// a negative time is a failed run.
func study(mode sweep.Mode, times map[int][]float64, over ...int) (*sweep.Study, []sweep.Record) {
	st := &sweep.Study{Program: "/bin/prog", Mode: mode, Repeat: 5, Placements: map[int]sweep.Placement{}}
	var recs []sweep.Record
	for p := range times {
		st.NP = append(st.NP, p)
	}
	sortInts(st.NP)
	for _, p := range st.NP {
		pl := sweep.Placement{Nodes: 1, PPN: p}
		for _, o := range over {
			if o == p {
				pl.Oversubscribed = true
			}
		}
		st.Placements[p] = pl
		for i, x := range times[p] {
			r := sweep.Record{P: p, Kind: sweep.Timed, Repeat: i, TimeS: x, WallS: x + 0.2, TimeSource: "app"}
			if x < 0 {
				r.ExitCode, r.Error, r.TimeS = 3, "exit code 3", 0
			}
			recs = append(recs, r)
		}
	}
	return st, recs
}

func sortInts(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// amdahlTimes returns six runs at p of a + b/p with a little spread.
func amdahlTimes(a, b float64, p int) []float64 {
	t := a + b/float64(p)
	return []float64{t * 0.99, t, t * 1.01, t * 1.002, t * 0.998, t * 1.005}
}

func TestSummarizeStrong(t *testing.T) {
	times := map[int][]float64{}
	for _, p := range []int{1, 2, 4, 8} {
		times[p] = amdahlTimes(0.1, 0.9, p)
	}
	s := Summarize(study(sweep.Strong, times, 8))
	require.NotNil(t, s.Baseline)
	assert.Equal(t, 1, s.Baseline.P)
	assert.InDelta(t, 1.0, s.Baseline.MedianS, 0.01)
	require.Len(t, s.Points, 4)
	p8 := s.Points[3]
	assert.Equal(t, 8, p8.P)
	assert.True(t, p8.Oversubscribed)
	assert.InDelta(t, 1/(0.1+0.9/8), *p8.Speedup, 0.1)
	assert.InDelta(t, 0.1, *p8.KarpFlatt, 0.01)
	assert.Nil(t, s.Points[0].KarpFlatt, "undefined at p = 1")
	require.NotNil(t, s.Fits.Amdahl)
	assert.InDelta(t, 0.1, s.Fits.Amdahl.SerialFraction, 0.01)
	assert.Nil(t, s.Fits.Gustafson)
	assert.Equal(t, "app", s.TimeSource)
	assert.False(t, p8.CIShort, "six runs give a 95% interval")
	joined := strings.Join(s.Warnings, "\n")
	assert.Contains(t, joined, "p=[8]: oversubscribed")
	assert.NotContains(t, joined, "overlap")
	assert.NotContains(t, joined, "poor")

	b, err := json.Marshal(s)
	require.NoError(t, err)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(b, &generic))
	for _, k := range []string{"mode", "baseline", "points", "fits", "provenance"} {
		assert.Contains(t, generic, k)
	}
	pt := generic["points"].([]any)[1].(map[string]any)
	for _, k := range []string{"p", "n", "median_s", "ci95_s", "speedup", "efficiency", "karp_flatt"} {
		assert.Contains(t, pt, k)
	}
	fits := generic["fits"].(map[string]any)
	assert.Contains(t, fits["amdahl"], "serial_fraction")
	assert.Contains(t, fits["amdahl"], "stderr")
	assert.Contains(t, fits["amdahl"], "r2")
}

func TestSummarizeWarnsAndKeepsFailedPoints(t *testing.T) {
	times := map[int][]float64{
		1: {1.0, 1.1, 0.9},       // three runs: short interval
		2: {0.95, 1.05, 1.0},     // overlaps p=1
		4: {-1, -1},              // nothing good
		8: {0.2, 0.21, -1, 0.19}, // one failed
	}
	s := Summarize(study(sweep.Strong, times))
	byP := map[int]Point{}
	for _, pt := range s.Points {
		byP[pt.P] = pt
	}
	assert.Equal(t, "no good run", byP[4].Status)
	assert.Nil(t, byP[4].MedianS)
	assert.Equal(t, 2, byP[4].Failed)
	assert.Equal(t, 1, byP[8].Failed)
	assert.Equal(t, 3, byP[8].N)
	assert.True(t, byP[1].CIShort)
	assert.InDelta(t, 0.75, byP[1].CICoverage, 1e-12)
	assert.Equal(t, 3, s.Failed)
	joined := strings.Join(s.Warnings, "\n")
	assert.Contains(t, joined, "p=4: no good run (2 failed)")
	assert.Contains(t, joined, "p=8: 1 of 4 runs failed")
	assert.Contains(t, joined, "p=1 and p=2: their intervals overlap")
	assert.Contains(t, joined, "fewer than 6 good runs")

	b, err := json.Marshal(s)
	require.NoError(t, err, "no NaN reaches the JSON")
	assert.Contains(t, string(b), `"median_s":null`)
}

func TestSummarizePoorFit(t *testing.T) {
	// Time grows with p: Amdahl cannot describe it.
	times := map[int][]float64{1: {1, 1, 1, 1, 1, 1}, 2: {0.6, 0.6, 0.6, 0.6, 0.6, 0.6}, 4: {0.9, 0.9, 0.9, 0.9, 0.9, 0.9}, 8: {1.6, 1.6, 1.6, 1.6, 1.6, 1.6}}
	s := Summarize(study(sweep.Strong, times))
	require.NotNil(t, s.Fits.Amdahl)
	assert.Less(t, s.Fits.Amdahl.R2, PoorFit)
	assert.Contains(t, strings.Join(s.Warnings, "\n"), "Amdahl fit is poor")
}

func TestSummarizeWeakWithReferences(t *testing.T) {
	const serial, par = 0.05, 0.2
	times := map[int][]float64{}
	for _, p := range []int{1, 2, 4, 8} {
		times[p] = []float64{serial + par, serial + par, serial + par}
	}
	st, recs := study(sweep.Weak, times)
	for _, p := range []int{2, 4, 8} {
		recs = append(recs, sweep.Record{P: p, Kind: sweep.Reference, TimeS: serial + par*float64(p), TimeSource: "app"})
	}
	recs = append(recs, sweep.Record{P: 2, Kind: sweep.Warmup, TimeS: 99, TimeSource: "app"})
	s := Summarize(st, recs)
	require.NotNil(t, s.Fits.Gustafson)
	assert.InDelta(t, serial/(serial+par), s.Fits.Gustafson.SerialFraction, 1e-9)
	assert.Nil(t, s.Fits.Amdahl)
	for _, pt := range s.Points {
		assert.InDelta(t, 1, *pt.Efficiency, 1e-9, "p=%d", pt.P)
		assert.InDelta(t, (serial+par*float64(pt.P))/(serial+par), *pt.ScaledSpeedup, 1e-9)
		assert.Nil(t, pt.KarpFlatt)
	}
	// Without references there is no Gustafson fit, and the report says why.
	var timed []sweep.Record
	for _, r := range recs {
		if r.Kind == sweep.Timed {
			timed = append(timed, r)
		}
	}
	s = Summarize(st, timed)
	assert.Nil(t, s.Fits.Gustafson)
	assert.Contains(t, strings.Join(s.Warnings, "\n"), "--serial-reference")
}

func TestSummarizeWallTimesAreSaidSo(t *testing.T) {
	st, recs := study(sweep.Strong, map[int][]float64{1: {1, 1}, 2: {0.5, 0.5}})
	for i := range recs {
		recs[i].TimeSource = "wall"
	}
	s := Summarize(st, recs)
	assert.Equal(t, "wall", s.TimeSource)
	assert.Contains(t, strings.Join(s.Warnings, "\n"), "launch cost included")
}

func TestWriteRendersEveryReport(t *testing.T) {
	dir := t.TempDir()
	times := map[int][]float64{}
	for _, p := range []int{1, 2, 4} {
		times[p] = amdahlTimes(0.05, 0.4, p)
	}
	st, recs := study(sweep.Strong, times, 4)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, sweep.StudyFile), b, 0o644))
	var jl bytes.Buffer
	for _, r := range recs {
		line, _ := json.Marshal(r)
		jl.Write(append(line, '\n'))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, sweep.RunsJSONL), jl.Bytes(), 0o644))
	s, err := Write(dir)
	require.NoError(t, err)
	assert.Len(t, s.Points, 3)
	csvText, err := os.ReadFile(filepath.Join(dir, sweep.RunsCSV))
	require.NoError(t, err, "runs.csv is rebuilt from runs.jsonl")
	assert.Equal(t, 1+len(recs), strings.Count(string(csvText), "\n"))
	for _, name := range []string{"time", "speedup", "efficiency", "karp-flatt"} {
		f, err := os.Open(filepath.Join(dir, name+".png"))
		require.NoError(t, err)
		img, err := png.Decode(f)
		f.Close()
		require.NoError(t, err, name)
		assert.Greater(t, img.Bounds().Dx(), 300, name)
		svg, err := os.ReadFile(filepath.Join(dir, name+".svg"))
		require.NoError(t, err)
		assert.Contains(t, string(svg), "<svg")
	}
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	require.NoError(t, err)
	for _, want := range []string{"| p | nodes×ppn | n | median (s) | 95% CI (s) | speedup | efficiency | Karp–Flatt | notes |",
		"† oversubscribed", "baseline", "Amdahl: T(p)", "![", "time.png", "Baseline: the same parallel program at p₀ = 1"} {
		assert.Contains(t, string(md), want)
	}
	html, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(html), "data:image/png;base64,"))
	assert.NotContains(t, string(html), `src="file:`, "self-contained")
}

func TestCompare(t *testing.T) {
	a := Summarize(study(sweep.Strong, map[int][]float64{1: amdahlTimes(0.1, 0.9, 1), 2: amdahlTimes(0.1, 0.9, 2), 4: {-1}}))
	b := Summarize(study(sweep.Strong, map[int][]float64{1: amdahlTimes(0.1, 0.9, 1), 2: amdahlTimes(0.1, 0.6, 2), 4: {0.3}}))
	rows := Compare(a, b)
	require.Len(t, rows, 2, "p=4 has no good run in A")
	assert.Equal(t, "no significant difference", rows[0].Verdict)
	assert.Equal(t, "B faster", rows[1].Verdict)
	assert.InDelta(t, 0.4/0.55, rows[1].Ratio.Value, 0.01)
	var out bytes.Buffer
	require.NoError(t, WriteComparison(&out, "a", "b", rows))
	assert.Contains(t, out.String(), "percentile-bootstrap")
	p, err := ComparePlot(a, b, "a", "b")
	require.NoError(t, err)
	assert.NotEmpty(t, p.PNG)
	assert.False(t, math.IsNaN(rows[1].Ratio.Lo))
}

// TestPlotsFitBelowZero: times that fall faster than 1/p (here a program
// with almost no work, whose one-rank runs were the slowest) get an
// Amdahl fit T(p) = a + b/p with a < 0, which is below zero at the
// largest p; the log-scale time and speedup plots leave that part of the
// line out rather than failing (gonum/plot panics on it), as a real study
// of examples/hello on a Slurm allocation of two nodes found.
func TestPlotsFitBelowZero(t *testing.T) {
	s := Summarize(study(sweep.Strong, map[int][]float64{
		1: {0.02, 0.02, 0.021}, 2: {0.002, 0.002, 0.0021}, 4: {0.0005, 0.0005, 0.0006},
	}))
	f := s.Fits.Amdahl
	require.NotNil(t, f)
	require.Less(t, f.AS+f.BS/4, 0.0, "the case needs a fit below zero at p = 4")
	plots, err := Plots(s)
	require.NoError(t, err)
	var names []string
	for _, p := range plots {
		names = append(names, p.Name)
		assert.NotEmpty(t, p.PNG, p.Name)
	}
	assert.Equal(t, []string{"time", "speedup", "efficiency", "karp-flatt"}, names)
}

// TestRenderReturnsGonumPanics: data a figure's axes cannot show is an
// error from render, not a panic that loses the whole report.
func TestRenderReturnsGonumPanics(t *testing.T) {
	p := plot.New()
	p.Y.Scale = plot.LogScale{}
	l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 0}, {X: 2, Y: 1}})
	require.NoError(t, err)
	p.Add(l)
	_, err = render(p, "png")
	assert.ErrorContains(t, err, "drawing png")
}
