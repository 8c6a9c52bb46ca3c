// Command spmdbench runs spmd's OSU-method benchmarks: point-to-point ones
// on a job of two ranks, collective ones on any number:
//
//	spmdrun -n 2 spmdbench latency
//	spmdrun -n 2 spmdbench bandwidth --max 4M --format csv
//	spmdrun -n 2 spmdbench bibw --target 250ms
//	spmdrun -n 4 spmdbench allreduce --max 1M
//	spmdrun -n 4 spmdbench bcast --algorithm scatter_ring
//	spmdbench --list-algorithms
//	spmdbench scale --np 1,2,4,8 -- ./prog -n 1000
//
// Rank 0 prints an OSU-like table (or CSV, or JSON) under a header that
// describes the machine. spmdbench scale, run without spmdrun, runs a
// scaling study of any program (see package bench/sweep). Run spmdbench
// --help or spmdbench scale --help for the flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spmd-go/spmd/bench/osu"
	"github.com/spmd-go/spmd/comm"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is spmdbench with its arguments and output; it returns the exit code:
// 0, 1 when the benchmark fails, 2 for bad arguments.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "scale" {
		return runScale(args[1:], stdout, stderr)
	}
	a, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "spmdbench: %v\n", err)
		return 2
	}
	if a.list {
		for _, l := range osu.ListAlgorithms() {
			fmt.Fprintln(stdout, l)
		}
		return 0
	}
	if a.algorithm != "" {
		// Before comm.Init and any collective, on every rank alike.
		if err := osu.ForceAlgorithm(a.kind, a.algorithm); err != nil {
			fmt.Fprintf(stderr, "spmdbench: %v\n", err)
			return 2
		}
	}
	c, err := comm.Init()
	if err != nil {
		fmt.Fprintf(stderr, "spmdbench: %v\n", err)
		return 1
	}
	if err := bench(c, a, stdout); err != nil {
		fmt.Fprintf(stderr, "spmdbench: rank %d: %v\n", c.Rank(), err)
		c.Abort(1) // the peer would otherwise wait for us
		return 1
	}
	if err := c.Finalize(); err != nil {
		fmt.Fprintf(stderr, "spmdbench: %v\n", err)
		return 1
	}
	return 0
}

// bench runs the benchmark a asks for on c and, on rank 0, writes the
// report to w.
func bench(c *comm.Comm, a args, w io.Writer) error {
	start := time.Now()
	res, err := osu.Run(c, a.kind, a.opts)
	if err != nil {
		return err
	}
	if c.Rank() != 0 {
		return nil
	}
	r := osu.Report{
		Benchmark: a.kind, Title: a.kind.Title(), Unit: a.kind.Unit(), Impl: "spmd",
		Machine: osu.ThisMachine(start), Options: a.opts, Results: res,
	}
	if a.kind.Collective() {
		// --algorithm set the variable, or the caller did.
		r.Ranks, r.Algorithm = c.Size(), os.Getenv(osu.AlgorithmVar(a.kind))
	}
	return r.Write(w, a.format)
}
