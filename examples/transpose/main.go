// Command transpose adds the transpose of a distributed matrix to another,
// B += Aᵀ, as the Parallel Research Kernels' Transpose kernel defines it
// (ParRes/Kernels, MPI1/Transpose), and reports the rate in MB/s.
// bench/peers/transpose.c is the same program against C MPI, and
// scripts/compare-apps.sh runs the two side by side.
//
// Usage:
//
//	spmdrun -n 4 transpose [-iterations 10] [-order 1024] [-tile 32]
//
// The problem: A and B are order×order matrices of float64 split by
// columns, rank r owning columns [r·b, (r+1)·b), b = order/P (order must
// be a multiple of the rank count), each rank's columns stored one after
// the other. At the start A(i,j) = order·j + i and B = 0. One iteration
// adds Aᵀ to B, then adds 1 to every element of A. Rank r's columns of B
// need row block r of every rank's columns of A, so an iteration is a
// local transpose of the diagonal block followed by P−1 phases of
// pairwise exchange: in phase k rank r sends the transposed b×b block of
// its A destined for rank r−k and receives from rank r+k (mod P), with
// one Sendrecv each. Local transposes go by tiles of -tile×-tile elements
// (PRK's default 32) to keep both matrices' lines in cache.
//
// After iterations+1 transposes B(i,j) = (order·i + j)·(iterations+1) +
// iterations·(iterations+1)/2 exactly (integers below 2⁵³); the program
// sums |B − that| over all elements and requires the sum to be below
// 1e-8 (PRK's epsilon).
//
// Timing follows PRK: iteration 0 is a warm-up, the clock starts after a
// barrier before iteration 1, the reported time is the largest over the
// ranks, and Rate = 2·8·order² bytes (A read, B written) over the average
// time of an iteration. It prints
//
//	transpose: matrix order 1024, 4 ranks, 10 iterations, tile size 32
//	transpose: Solution validates (summed error 0)
//	transpose: Rate (MB/s): 2345.678 Avg time (s): 0.007154 Total time (s): 0.071540 Comm time (s): 0.030120
//
// where Comm time is the largest over the ranks of the time spent in
// Sendrecv during the timed iterations. It exits with status 1 if the
// result does not validate.
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
)

// epsilon is PRK's tolerance on the summed error.
const epsilon = 1e-8

func main() {
	iterations := flag.Int("iterations", 10, "timed `iterations` (one more runs as a warm-up)")
	order := flag.Int("order", 1024, "matrix `order` (a multiple of the rank count)")
	tile := flag.Int("tile", 32, "`side` of the tiles of the local transposes (≥ order: untiled)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: spmdrun -n N transpose [-iterations I] [-order N] [-tile T]\n\nAdds the transpose of a column-distributed matrix to another (PRK Transpose) and reports MB/s.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("transpose: ")
	switch {
	case flag.NArg() > 0:
		flag.Usage()
		os.Exit(2)
	case *iterations < 1 || *order < 1 || *tile < 1:
		log.Printf("-iterations, -order and -tile must be at least 1, got %d, %d, %d", *iterations, *order, *tile)
		os.Exit(2)
	}

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	log.SetPrefix(fmt.Sprintf("transpose: rank %d: ", w.Rank()))
	if *order%w.Size() != 0 {
		// Every rank sees the same sizes: all exit alike, no one waits.
		if w.Rank() == 0 {
			log.Printf("-order %d is not a multiple of the %d ranks", *order, w.Size())
		}
		_ = w.Finalize()
		os.Exit(2)
	}
	res, err := run(w, *order, *iterations, *tile)
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

type result struct {
	order, iterations, ranks, tile int
	abserr                         float64
	total, comm                    float64 // seconds, largest over the ranks
}

func (r result) report(f *os.File) error {
	fmt.Fprintf(f, "transpose: matrix order %d, %d ranks, %d iterations, tile size %d\n", r.order, r.ranks, r.iterations, r.tile)
	if !(r.abserr < epsilon) {
		fmt.Fprintf(f, "transpose: ERROR: summed error %g exceeds %g\n", r.abserr, epsilon)
		return fmt.Errorf("summed error %g exceeds %g", r.abserr, epsilon)
	}
	avg := r.total / float64(r.iterations)
	bytes := 2 * 8 * float64(r.order) * float64(r.order)
	fmt.Fprintf(f, "transpose: Solution validates (summed error %g)\n", r.abserr)
	fmt.Fprintf(f, "transpose: Rate (MB/s): %.3f Avg time (s): %.6f Total time (s): %.6f Comm time (s): %.6f\n",
		1e-6*bytes/avg, avg, r.total, r.comm)
	return nil
}

func run(w *comm.Comm, order, iterations, tile int) (result, error) {
	res := result{order: order, iterations: iterations, ranks: w.Size(), tile: tile}
	p, me := w.Size(), w.Rank()
	b := order / p
	c0 := me * b // first column owned
	// a and b hold the rank's columns, each of order elements:
	// a[jl*order+i] = A(i, c0+jl).
	a := make([]float64, b*order)
	bm := make([]float64, b*order)
	for jl := range b {
		for i := range order {
			a[jl*order+i] = float64(order*(c0+jl) + i)
		}
	}
	work := make([]float64, 2*b*b)
	out, in := work[:b*b], work[b*b:]

	var start time.Time
	var commTime time.Duration
	for iter := 0; iter <= iterations; iter++ {
		if iter == 1 {
			if err := collective.Barrier(w); err != nil {
				return res, err
			}
			start, commTime = time.Now(), 0
		}
		// The diagonal block stays here: B(c0+ii, c0+jl) += A(c0+jl, c0+ii).
		addTransposed(bm[c0:], order, a[c0:], order, b, tile)
		for phase := 1; phase < p; phase++ {
			to, from := (me-phase+p)%p, (me+phase)%p
			// out(jl, ii) = A(to·b+jl, c0+ii): the block rank `to`
			// adds to its columns jl at rows c0+ii, transposed here so
			// that the receiver adds contiguous runs.
			transposeInto(out, b, a[to*b:], order, b, tile)
			t0 := time.Now()
			if _, err := comm.Sendrecv(w, out, to, phase, in, from, phase); err != nil {
				return res, err
			}
			commTime += time.Since(t0)
			// in(jl, ii) = A(c0+jl, from·b+ii): B(from·b+ii, c0+jl).
			for jl := range b {
				col := bm[jl*order+from*b:][:b]
				src := in[jl*b:][:b]
				for ii := range col {
					col[ii] += src[ii]
				}
			}
		}
		for i := range a {
			a[i]++
		}
	}
	local := []float64{time.Since(start).Seconds(), commTime.Seconds()}
	times := make([]float64, 2)
	if err := collective.Reduce(w, local, times, collective.Max, 0); err != nil {
		return res, err
	}
	res.total, res.comm = times[0], times[1]

	addit := float64(iterations) * float64(iterations+1) / 2
	var abserr float64
	for jl := range b {
		for i := range order {
			want := float64(order*i+c0+jl)*float64(iterations+1) + addit
			abserr += math.Abs(bm[jl*order+i] - want)
		}
	}
	sum := []float64{0}
	if err := collective.Reduce(w, []float64{abserr}, sum, collective.Sum, 0); err != nil {
		return res, err
	}
	res.abserr = sum[0]
	return res, nil
}

// transposeInto sets dst[jl*ld + ii] = src[ii*ls + jl] for ii, jl < n:
// dst (leading dimension ld) becomes the transpose of the n×n block of
// src (leading dimension ls), by tiles of tile×tile.
func transposeInto(dst []float64, ld int, src []float64, ls, n, tile int) {
	for it := 0; it < n; it += tile {
		for jt := 0; jt < n; jt += tile {
			for ii := it; ii < min(it+tile, n); ii++ {
				row := src[ii*ls+jt : ii*ls+min(jt+tile, n)]
				for k, v := range row {
					dst[(jt+k)*ld+ii] = v
				}
			}
		}
	}
}

// addTransposed adds the transpose of the n×n block of src to dst:
// dst[jl*ld + ii] += src[ii*ls + jl], by tiles.
func addTransposed(dst []float64, ld int, src []float64, ls, n, tile int) {
	for it := 0; it < n; it += tile {
		for jt := 0; jt < n; jt += tile {
			for ii := it; ii < min(it+tile, n); ii++ {
				row := src[ii*ls+jt : ii*ls+min(jt+tile, n)]
				for k, v := range row {
					dst[(jt+k)*ld+ii] += v
				}
			}
		}
	}
}
