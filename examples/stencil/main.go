// Command stencil applies a star-shaped stencil of radius 2 to a square
// grid split over the ranks, as the Parallel Research Kernels' Stencil
// kernel defines it (ParRes/Kernels, MPI1/Stencil), and reports its rate
// in MFlop/s. bench/peers/stencil.c is the same program against C MPI, and
// scripts/compare-apps.sh runs the two side by side.
//
// Usage:
//
//	spmdrun -n 4 stencil [-iterations 10] [-n 1000]
//
// The problem: arrays IN and OUT of n×n points, IN(i,j) = i + j at the
// start (i the column, j the row, both global) and OUT zero. One
// iteration adds to every point of OUT at least 2 from the grid's edge
// the weighted sum of IN over the star around it,
//
//	OUT(i,j) += Σ_{k=1..2} (IN(i,j+k) − IN(i,j−k) + IN(i+k,j) − IN(i−k,j)) / (2·k·2)
//
// (plus the zero-weighted centre, which PRK's loop multiplies too), then
// adds 1 to every point of IN, so that stale ghost points would show. The
// stencil is a finite-difference gradient along both axes, so on IN's
// linear field it adds exactly 2 to each point per iteration: after
// iterations+1 sweeps the mean of |OUT| over the (n−4)² active points must
// be 2·(iterations+1), which the program checks (to 1e-8, PRK's epsilon).
//
// The ranks form a Cartesian grid (comm.DimsCreate, comm.CartCreate) of
// Py×Px tiles, Px ≤ Py the divisor pair nearest √P as PRK's factor()
// chooses; tiles differ by at most one point per side. Before each sweep
// the two-point ghost layers of IN are exchanged with the four neighbours
// (grid.Halo, faces only: the star reads no corner).
//
// Timing follows PRK: iteration 0 is a warm-up; the clock starts after a
// barrier before iteration 1, and the reported time is the largest over
// the ranks. Rate = 19·(n−4)² flops per iteration (PRK's count: 2·9+1 for
// the nine-point star) over the average time of an iteration. The program
// prints
//
//	stencil: grid 1000x1000, radius 2 (star), 4 ranks as 2x2 tiles, 10 iterations
//	stencil: Solution validates (L1 norm 22, reference 22)
//	stencil: Rate (MFlops/s): 2345.678 Avg time (s): 0.008101 Total time (s): 0.081010 Comm time (s): 0.002020
//
// where Comm time is the largest over the ranks of the time spent in the
// halo exchanges of the timed iterations (packing, messages and
// unpacking), so that Total − Comm is about the computation. It exits
// with status 1 if the solution does not validate.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"time"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/grid"
)

// radius is the stencil's radius, fixed as in PRK's default build.
const radius = 2

// epsilon is PRK's tolerance on the norm.
const epsilon = 1e-8

func main() {
	iterations := flag.Int("iterations", 10, "timed `iterations` (one more runs as a warm-up)")
	n := flag.Int("n", 1000, "grid `order`: the grid has n×n points")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: spmdrun -n N stencil [-iterations I] [-n order]\n\nApplies PRK's radius-2 star stencil to an n×n grid split over the ranks and reports MFlop/s.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("stencil: ")
	switch {
	case flag.NArg() > 0:
		flag.Usage()
		os.Exit(2)
	case *iterations < 1:
		log.Printf("-iterations must be at least 1, got %d", *iterations)
		os.Exit(2)
	case *n < 2*radius+1:
		log.Printf("-n must be at least %d (the stencil's width), got %d", 2*radius+1, *n)
		os.Exit(2)
	}

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	log.SetPrefix(fmt.Sprintf("stencil: rank %d: ", w.Rank()))
	res, err := run(w, *n, *iterations)
	if err != nil {
		log.Fatal(err) // the launcher ends the other ranks
	}
	var checkErr error
	if w.Rank() == 0 {
		checkErr = res.report(os.Stdout)
	}
	if err := w.Finalize(); err != nil {
		log.Fatal(err)
	}
	if checkErr != nil {
		log.Print(checkErr)
		os.Exit(1)
	}
}

// result is what rank 0 reports.
type result struct {
	n, iterations, ranks, px, py int
	norm                         float64 // mean |OUT| over the active points
	total, comm                  float64 // seconds, largest over the ranks
}

func (r result) report(f *os.File) error {
	ref := float64(r.iterations+1) * 2
	active := float64(r.n-2*radius) * float64(r.n-2*radius)
	flops := float64(2*(4*radius+1)+1) * active
	avg := r.total / float64(r.iterations)
	fmt.Fprintf(f, "stencil: grid %dx%d, radius %d (star), %d ranks as %dx%d tiles, %d iterations\n",
		r.n, r.n, radius, r.ranks, r.px, r.py, r.iterations)
	if !(math.Abs(r.norm-ref) <= epsilon) {
		fmt.Fprintf(f, "stencil: ERROR: L1 norm %.12g, reference %.12g\n", r.norm, ref)
		return fmt.Errorf("L1 norm %.12g differs from the reference %.12g", r.norm, ref)
	}
	fmt.Fprintf(f, "stencil: Solution validates (L1 norm %g, reference %g)\n", r.norm, ref)
	fmt.Fprintf(f, "stencil: Rate (MFlops/s): %.3f Avg time (s): %.6f Total time (s): %.6f Comm time (s): %.6f\n",
		1e-6*flops/avg, avg, r.total, r.comm)
	return nil
}

// tile is one rank's share of the grid: columns [i0, i0+nx) and rows
// [j0, j0+ny), global indices.
type tile struct{ i0, nx, j0, ny int }

// split returns the start and extent of part p of n points cut into parts
// pieces as PRK cuts them: the first n%parts pieces one point longer.
func split(n, parts, p int) (start, count int) {
	q, r := n/parts, n%parts
	if p < r {
		return p * (q + 1), q + 1
	}
	return r*(q+1) + (p-r)*q, q
}

func run(w *comm.Comm, n, iterations int) (result, error) {
	res := result{n: n, iterations: iterations, ranks: w.Size()}
	dims, err := comm.DimsCreate(w.Size(), []int{0, 0}) // [Py Px], Py ≥ Px
	if err != nil {
		return res, err
	}
	res.py, res.px = dims[0], dims[1]
	c, err := comm.CartCreate(w, dims, []bool{false, false}, false)
	if err != nil {
		return res, err
	}
	me, err := c.CartCoords(c.Rank())
	if err != nil {
		return res, err
	}
	var t tile
	t.j0, t.ny = split(n, dims[0], me[0])
	t.i0, t.nx = split(n, dims[1], me[1])
	if t.nx < radius || t.ny < radius {
		return res, fmt.Errorf("tile of %dx%d points is smaller than the radius %d: use fewer ranks or a larger grid", t.nx, t.ny, radius)
	}
	h, err := grid.NewHalo[float64](c, []int{t.ny, t.nx}, radius)
	if err != nil {
		return res, err
	}
	W := t.nx + 2*radius // padded row length
	in := make([]float64, h.Len())
	out := make([]float64, t.nx*t.ny)
	for jl := range t.ny {
		for il := range t.nx {
			in[(jl+radius)*W+il+radius] = float64(t.i0+il) + float64(t.j0+jl) // COEFX·i + COEFY·j
		}
	}
	// The active points of the tile, local indices, inclusive bounds.
	il0, il1 := max(t.i0, radius)-t.i0, min(n-radius-1, t.i0+t.nx-1)-t.i0
	jl0, jl1 := max(t.j0, radius)-t.j0, min(n-radius-1, t.j0+t.ny-1)-t.j0
	wt := weights()

	var start time.Time
	var commTime time.Duration
	for iter := 0; iter <= iterations; iter++ {
		if iter == 1 {
			if err := collective.Barrier(c); err != nil {
				return res, err
			}
			start, commTime = time.Now(), 0
		}
		t0 := time.Now()
		if err := h.Exchange(in); err != nil {
			return res, err
		}
		commTime += time.Since(t0)
		sweep(out, in, W, t.nx, jl0, jl1, il0, il1, &wt)
		for jl := range t.ny {
			row := in[(jl+radius)*W+radius : (jl+radius)*W+radius+t.nx]
			for i := range row {
				row[i]++
			}
		}
	}
	local := []float64{time.Since(start).Seconds(), commTime.Seconds()}
	times := make([]float64, 2)
	if err := collective.Reduce(c, local, times, collective.Max, 0); err != nil {
		return res, err
	}
	res.total, res.comm = times[0], times[1]

	var norm float64
	for jl := jl0; jl <= jl1; jl++ {
		for il := il0; il <= il1; il++ {
			norm += math.Abs(out[jl*t.nx+il])
		}
	}
	sum := []float64{0}
	if err := collective.Reduce(c, []float64{norm}, sum, collective.Sum, 0); err != nil {
		return res, err
	}
	res.norm = sum[0] / (float64(n-2*radius) * float64(n-2*radius))
	return res, nil
}

// weights returns PRK's star weights, indexed [axis][k+radius] with axis
// 0 along j (rows) and 1 along i (columns): ±1/(2·k·radius) at distance k,
// zero at the centre (counted once, on axis 0, as PRK's loop does).
func weights() [2][2*radius + 1]float64 {
	var wt [2][2*radius + 1]float64
	for k := 1; k <= radius; k++ {
		v := 1 / (2 * float64(k) * radius)
		wt[0][radius+k], wt[0][radius-k] = v, -v
		wt[1][radius+k], wt[1][radius-k] = v, -v
	}
	return wt
}

// sweep adds the stencil of in (padded rows of W) to out (rows of nx) at
// the active local points [jl0, jl1] × [il0, il1]. The loop body is
// written out for radius 2, its operands taken as slices of one length so
// that the compiler checks bounds once per row rather than once per term.
func sweep(out, in []float64, W, nx, jl0, jl1, il0, il1 int, wt *[2][2*radius + 1]float64) {
	if il1 < il0 {
		return
	}
	a0, a1, a2, a3, a4 := wt[0][0], wt[0][1], wt[0][2], wt[0][3], wt[0][4]
	b0, b1, b3, b4 := wt[1][0], wt[1][1], wt[1][3], wt[1][4]
	for jl := jl0; jl <= jl1; jl++ {
		// Padded index of local point (jl, il) is (jl+2)*W + il+2; the
		// slices below start at column il0 of rows jl-2 … jl+2.
		base := (jl+radius)*W + il0 + radius
		m := il1 - il0 + 1
		o := out[jl*nx+il0 : jl*nx+il0+m]
		// The four off-row arms as slices as long as o, and the row itself
		// from two points before o to two after, so that the compiler
		// proves every index below in bounds (and keeps the pointers in
		// registers).
		s0 := in[base-2*W:][:len(o)]
		s1 := in[base-W:][:len(o)]
		s3 := in[base+W:][:len(o)]
		s4 := in[base+2*W:][:len(o)]
		row := in[base-2:][:len(o)+4]
		for x := range o {
			r := row[x : x+5 : x+5] // r[2] is the point itself
			o[x] += a0*s0[x] + a1*s1[x] + a2*r[2] + a3*s3[x] + a4*s4[x] +
				b0*r[0] + b1*r[1] + b3*r[3] + b4*r[4]
		}
	}
}
