//go:build cgo

// Command render draws a temperature field that heat2d wrote as a heat
// map, to a PNG file:
//
//	render [-in heat2d.h5] [-dataset /step_002000/T] [-out heat2d.png]
//
// Without -dataset it draws the file's last /step_NNNNNN/T, the final
// field. The picture in the README (examples/heat2d/heat2d.png) is made by
// running heat2d with no flags and then render with none. Row 0 of the
// field (the hot edge) is drawn at the top.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/h5"
)

func main() {
	in := flag.String("in", "heat2d.h5", "HDF5 `file` written by heat2d")
	ds := flag.String("dataset", "", "`dataset` to draw (default: the last /step_NNNNNN/T)")
	out := flag.String("out", "heat2d.png", "PNG `file` to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("render: ")
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := render(*in, *ds, *out); err != nil {
		log.Fatal(err)
	}
}

func render(in, ds, out string) error {
	if ds == "" {
		names, err := h5.Datasets(in)
		if err != nil {
			return err
		}
		for _, n := range names {
			if strings.HasPrefix(n, "/step_") && path.Base(n) == "T" {
				ds = n // names come sorted, so the last is the latest step
			}
		}
		if ds == "" {
			return fmt.Errorf("%s holds no /step_NNNNNN/T dataset", in)
		}
	}
	shape, err := h5.Shape(in, ds)
	if err != nil {
		return err
	}
	if len(shape) != 2 {
		return fmt.Errorf("%s:%s is %d-D, not a 2-D field", in, ds, len(shape))
	}
	// A process run without a launcher is a world of one rank.
	w, err := comm.Init()
	if err != nil {
		return err
	}
	defer w.Finalize()
	g := field{rows: shape[0], cols: shape[1], v: make([]float64, shape[0]*shape[1])}
	if err := h5.ReadArray(w, in, ds, []int{0, 0}, shape, g.v); err != nil {
		return err
	}
	t, err := h5.ReadAttr[float64](in, ds, "time")
	if err != nil {
		return err
	}
	step, err := h5.ReadAttr[int](in, ds, "step")
	if err != nil {
		return err
	}
	spacing, err := h5.ReadAttr[[]float64](in, ds, "spacing")
	if err != nil {
		return err
	}
	if len(spacing) != 2 {
		return fmt.Errorf("%s:%s: spacing %v has not two entries", in, ds, spacing)
	}
	g.dy, g.dx = spacing[0], spacing[1]

	cm := moreland.ExtendedBlackBody()
	lo, hi := slices.Min(g.v), slices.Max(g.v)
	cm.SetMin(lo)
	cm.SetMax(hi)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("heat2d: T at t = %.2e (step %d) on a %d×%d grid, from %.0f (black) to %.0f (white)", t, step, g.rows, g.cols, lo, hi)
	p.X.Label.Text = "x"
	p.Y.Label.Text = "y"
	hm := plotter.NewHeatMap(g, cm.Palette(256))
	hm.Rasterized = true
	p.Add(hm)
	// About equal scales on both axes: the margins take about 0.7 inch
	// across and 1 inch down.
	plotW := 6 * vg.Inch
	plotH := plotW * vg.Length(float64(g.rows-1)*g.dy/(float64(g.cols-1)*g.dx))
	return p.Save(plotW+0.7*vg.Inch, plotH+vg.Inch, out)
}

// field shows a row-major rows×cols array as plotter.GridXYZ in the
// grid's own coordinates: column j at x = j·dx, row i at y = (rows−1−i)·dy,
// so row 0 (the hot edge) is at the top. The plotter's rows count upwards.
type field struct {
	rows, cols int
	dy, dx     float64
	v          []float64
}

func (f field) Dims() (c, r int)   { return f.cols, f.rows }
func (f field) Z(c, r int) float64 { return f.v[(f.rows-1-r)*f.cols+c] }
func (f field) X(c int) float64    { return float64(c) * f.dx }
func (f field) Y(r int) float64    { return float64(r) * f.dy }
func (f field) Min() float64       { return slices.Min(f.v) }
func (f field) Max() float64       { return slices.Max(f.v) }
