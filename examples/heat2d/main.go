//go:build cgo

// Command heat2d solves the 2-D heat equation on a grid split over the
// ranks, exchanging halos while it computes, and writes the temperature
// field to an HDF5 file that h5py, h5dump and ParaView read.
//
// Usage:
//
//	spmdrun -n 4 heat2d [-rows 400] [-cols 600] [-steps 2000] [-every 500] [-out heat2d.h5]
//	                    [-check 100] [-tol 0] [-checkpoint 500] [-ckpt heat2d-ckpt.h5]
//	                    [-restart heat2d-ckpt.h5] [-stop-at STEP]
//
// The mathematics: the temperature u(x, y, t) on the unit-spaced square
// grid obeys ∂u/∂t = α∇²u. The explicit (Jacobi, forward Euler) scheme
// replaces ∇²u at a grid point by the five-point difference
// (u_N + u_S + u_W + u_E − 4u)/h² and steps
//
//	u⁺ = u + r·(u_N + u_S + u_W + u_E − 4u),   r = α·Δt/h²,
//
// which is stable for r ≤ 1/4; heat2d takes r = 0.2, h = 1/(rows−1) and
// α = 1, so Δt = 0.2·h². The edge of the grid is held fixed (Dirichlet
// conditions): 100 along the top row, 0 along the others; the inside starts
// at 0 with a disc of 100 in the middle.
//
// The grid is split over a Cartesian grid of ranks that comm.DimsCreate
// chooses (as square as the rank count allows) and comm.CartCreate makes;
// each rank owns the block grid.Block gives it and stores it with one
// ghost point on every side.
// Each step starts the halo exchange (grid.Halo: the block's edge rows and
// columns go to the four neighbours), updates the points that read no
// ghost while the messages travel, waits, then updates the block's rim.
// Every point is computed by the same expression on every rank count, so a
// run on any number of ranks gives the serial run's field bit for bit.
//
// Every -check steps the ranks agree (collective.Allreduce with Max) on the
// largest change of the last step; below -tol the run stops early (the
// default -tol 0 runs all -steps). Every -every steps, and after the last,
// the field is written with h5.WriteArray to /step_NNNNNN/T in -out, with
// its time, step, spacing and origin as attributes, and an XDMF file
// beside it (heat2d.xmf) that ParaView opens as a time series. Every
// -checkpoint steps the field is written to -ckpt, which replaces the
// previous checkpoint only once complete; -restart continues from such a
// file on any number of ranks, to the same result as an uninterrupted run.
// -stop-at ends the run with status 3 right after that step's output and
// checkpoint, as a crash there would (for testing restarts).
//
// Rank 0 prints one line at the end:
//
//	heat2d: 400×600 grid on 4 ranks (2×2), steps 0..2000 (t = 2.5e-03), last change 4.1e-03, 5 fields in heat2d.h5, 1.52 s
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/grid"
	"github.com/spmd-go/spmd/h5"
)

// config is the run's settings, from the flags.
type config struct {
	rows, cols          int
	steps, every, check int
	tol                 float64
	out, ckpt, restart  string
	checkpoint, stopAt  int
}

// r is α·Δt/h², below the stability limit 1/4.
const r = 0.2

func main() {
	var cfg config
	flag.IntVar(&cfg.rows, "rows", 400, "grid `rows` (at least 3)")
	flag.IntVar(&cfg.cols, "cols", 600, "grid `columns` (at least 3)")
	flag.IntVar(&cfg.steps, "steps", 2000, "run to this `step`")
	flag.IntVar(&cfg.every, "every", 500, "write the field every this many `steps` (0: only at the end)")
	flag.StringVar(&cfg.out, "out", "heat2d.h5", "output HDF5 `file`")
	flag.IntVar(&cfg.check, "check", 100, "check convergence every this many `steps` (0: never)")
	flag.Float64Var(&cfg.tol, "tol", 0, "stop when a step changes no point by more than this `amount` (0: run all steps)")
	flag.IntVar(&cfg.checkpoint, "checkpoint", 500, "write a checkpoint every this many `steps` (0: never)")
	flag.StringVar(&cfg.ckpt, "ckpt", "heat2d-ckpt.h5", "checkpoint HDF5 `file`")
	flag.StringVar(&cfg.restart, "restart", "", "continue from this checkpoint `file`")
	flag.IntVar(&cfg.stopAt, "stop-at", -1, "stop with status 3 after this `step` (for testing restarts)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: spmdrun -n N heat2d [flags]\n\nSolves the 2-D heat equation on a grid split over the ranks and writes the field to HDF5.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("heat2d: ")
	if err := cfg.validate(); err != nil || flag.NArg() > 0 {
		if err != nil {
			log.Print(err)
		} else {
			flag.Usage()
		}
		os.Exit(2)
	}

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	code := 0
	if err := run(w, cfg); err != nil {
		code = 1
		var stop stopped
		if errors.As(err, &stop) {
			code = 3
		}
		// Errors of collective calls are the same on every rank: rank 0
		// says it once.
		var shared *h5.Error
		if w.Rank() == 0 || !errors.As(err, &shared) {
			log.Print(err)
		}
	}
	if err := w.Finalize(); err != nil && code == 0 {
		log.Printf("finalize: %v", err)
		code = 1
	}
	os.Exit(code)
}

func (c *config) validate() error {
	switch {
	case c.rows < 3 || c.cols < 3:
		return fmt.Errorf("the grid must be at least 3×3, got %d×%d", c.rows, c.cols)
	case c.steps < 0 || c.every < 0 || c.check < 0 || c.checkpoint < 0:
		return errors.New("-steps, -every, -check and -checkpoint must not be negative")
	case !(c.tol >= 0):
		return fmt.Errorf("-tol must be a non-negative number, got %v", c.tol)
	case c.out == "" || c.ckpt == "":
		return errors.New("-out and -ckpt must name files")
	}
	return nil
}

// stopped is the error of a run ended by -stop-at.
type stopped int

func (s stopped) Error() string { return fmt.Sprintf("stopped after step %d (-stop-at)", int(s)) }

func run(w *comm.Comm, cfg config) error {
	start := time.Now()
	first, err := cfg.startStep()
	if err != nil {
		return err
	}
	dims, err := comm.DimsCreate(w.Size(), []int{0, 0})
	if err != nil {
		return err
	}
	if dims[0] > cfg.rows || dims[1] > cfg.cols {
		return fmt.Errorf("a %d×%d grid of ranks needs at least that many grid points, got %d×%d", dims[0], dims[1], cfg.rows, cfg.cols)
	}
	cart, err := comm.CartCreate(w, dims, []bool{false, false}, false)
	if err != nil {
		return err
	}
	bstart, bcount, err := grid.Block(cart, []int{cfg.rows, cfg.cols})
	if err != nil {
		return err
	}
	b := newBlock(cfg.rows, cfg.cols, [2]int{bstart[0], bstart[1]}, [2]int{bcount[0], bcount[1]})
	halo, err := grid.NewHalo[float64](cart, bcount, 1)
	if err != nil {
		return err
	}
	io := newWriter(cart, cfg, b)
	if cfg.restart != "" {
		if err := io.restore(cfg.restart); err != nil {
			return err
		}
	} else {
		b.initial()
		if err := io.output(0, true); err != nil {
			return err
		}
	}

	step, change := first, 0.0
	lastOut := first
	local, global := make([]float64, 1), make([]float64, 1) // the convergence check's, allocated once
	for step < cfg.steps {
		step++
		if err := halo.Start(b.u); err != nil {
			return err
		}
		b.interior(r)
		if err := halo.Wait(); err != nil {
			return err
		}
		b.rim(r)
		b.swap()
		converged := false
		if cfg.check > 0 && step%cfg.check == 0 {
			local[0] = b.maxChange()
			if err := collective.Allreduce(cart, local, global, collective.Max); err != nil {
				return err
			}
			change = global[0]
			converged = change < cfg.tol
		}
		if cfg.checkpoint > 0 && step%cfg.checkpoint == 0 {
			if err := io.checkpoint(step); err != nil {
				return err
			}
		}
		if (cfg.every > 0 && step%cfg.every == 0) || step == cfg.steps || converged {
			if err := io.output(step, false); err != nil {
				return err
			}
			lastOut = step
		}
		if step == cfg.stopAt {
			return stopped(step)
		}
		if converged {
			break
		}
	}
	if lastOut != step { // a restart at or past -steps
		if err := io.output(step, false); err != nil {
			return err
		}
	}
	if cart.Rank() == 0 {
		ranks := "ranks"
		if cart.Size() == 1 {
			ranks = "rank"
		}
		fmt.Printf("heat2d: %d×%d grid on %d %s (%d×%d), steps %d..%d (t = %.1e), last change %.1e, %d fields in %s, %.2f s\n",
			cfg.rows, cfg.cols, cart.Size(), ranks, dims[0], dims[1], first, step, io.time(step), change, io.written, cfg.out, time.Since(start).Seconds())
	}
	return nil
}
