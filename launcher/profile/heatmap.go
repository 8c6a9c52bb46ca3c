package profile

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// matrixGrid is the byte matrix as gonum/plot's grid: column c is the
// receiver, row r the sender, drawn at height n−1−r so that sender 0 is
// at the top; values are
// log10(bytes), NaN where nothing was sent.
type matrixGrid struct{ m [][]uint64 }

func (g matrixGrid) Dims() (c, r int) { return len(g.m), len(g.m) }
func (g matrixGrid) X(c int) float64  { return float64(c) }
func (g matrixGrid) Y(r int) float64  { return float64(len(g.m) - 1 - r) }
func (g matrixGrid) Z(c, r int) float64 {
	v := g.m[r][c]
	if v == 0 {
		return math.NaN()
	}
	return math.Log10(float64(v))
}

// rankTicks labels integer rank positions, at most about a dozen of them;
// flip labels position y with rank n−1−y (the sender axis, top down).
type rankTicks struct {
	n    int
	flip bool
}

func (t rankTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, (t.n+11)/12)
	var out []plot.Tick
	for v := 0; v < t.n; v++ {
		label := ""
		rank := v
		if t.flip {
			rank = t.n - 1 - v
		}
		if rank%step == 0 {
			label = strconv.Itoa(rank)
		}
		out = append(out, plot.Tick{Value: float64(v), Label: label})
	}
	return out
}

// WriteMatrixPNG draws the byte matrix as a heat map (colour: log10 of
// the bytes each sender sent each receiver; grey: nothing) with a colour
// bar, as PNG. A job without point-to-point traffic gets an empty map.
func (p *Profile) WriteMatrixPNG(w io.Writer) (err error) {
	defer func() {
		// gonum/plot panics on data it cannot draw; one bad figure must
		// not take the job's other outputs down.
		if r := recover(); r != nil {
			err = fmt.Errorf("profile: drawing the matrix: %v", r)
		}
	}()
	n := p.Size
	var most uint64
	for _, row := range p.Matrix.Bytes {
		for _, v := range row {
			most = max(most, v)
		}
	}
	cmap := moreland.ExtendedBlackBody()
	// The scale's top is a little above the largest value: black body
	// colours end in white, which would read as "nothing".
	hi := 1.15 * math.Max(1, math.Log10(float64(max(most, 1))))
	cmap.SetMin(0)
	cmap.SetMax(hi)

	pal := cmap.Palette(255)
	hm := plotter.NewHeatMap(matrixGrid{p.Matrix.Bytes}, pal)
	// The largest value must map into the palette, not past it.
	hm.Min, hm.Max = 0, math.Nextafter(hi, math.Inf(1))
	colors := pal.Colors()
	hm.Underflow, hm.Overflow = colors[0], colors[len(colors)-1]
	hm.NaN = color.Gray{Y: 0xd8} // nothing sent: apart from every colour of the scale
	heat := plot.New()
	heat.Title.Text = fmt.Sprintf("bytes sent, %d ranks (most: %s)", n, Bytes(most))
	heat.X.Label.Text = "to rank"
	heat.Y.Label.Text = "from rank"
	heat.X.Tick.Marker = rankTicks{n: n}
	heat.Y.Tick.Marker = rankTicks{n: n, flip: true}
	heat.Add(hm)

	bar := plot.New()
	bar.HideY()
	bar.X.Label.Text = "log10(bytes)"
	bar.Add(&plotter.ColorBar{ColorMap: cmap})

	img := vgimg.New(14*vg.Centimeter, 15*vg.Centimeter)
	dc := draw.New(img)
	// The heat map above, the colour bar in the bottom 3 cm.
	heatArea := draw.Crop(dc, 0, 0, 3*vg.Centimeter, 0)
	barArea := draw.Crop(dc, 0, 0, 0, -12*vg.Centimeter)
	heat.Draw(heatArea)
	bar.Draw(barArea)
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}
