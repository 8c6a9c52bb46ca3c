// Command benchtable prints the comparison tables of a results directory
// written by scripts/compare-pt2pt.sh or compare-coll.sh: for each
// benchmark, the median over rounds of every implementation per message
// size, and the ratio of spmd to a baseline; or, with -pick, one summary
// table of chosen benchmarks and sizes with the ratio of spmd to every other
// implementation.
//
//	benchtable -dir bench/results/2026-11-21-pt2pt-tcp
//	benchtable -dir DIR -benches latency -impls spmd,openmpi -base openmpi
//	benchtable -dir DIR/np4 -pick allreduce:8,allreduce:1M,barrier:0 -title "np=4"
//
// Raw files are named IMPL-BENCH-rROUND.txt (see compare.FileName).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spmd-go/spmd/bench/compare"
	"github.com/spmd-go/spmd/bench/osu"
)

// labels are the column headings of the implementations the script runs.
var labels = map[string]string{"spmd": "spmd", "openmpi": "Open MPI", "mpich": "MPICH"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is benchtable with its arguments and output; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "results directory")
	benches := fs.String("benches", "latency,bandwidth", "benchmarks, comma-separated")
	impls := fs.String("impls", "spmd,openmpi,mpich", "implementations (columns), comma-separated")
	num := fs.String("num", "spmd", "numerator of the ratio column")
	base := fs.String("base", "openmpi", "denominator of the ratio column (empty: none)")
	pick := fs.String("pick", "", "instead of full tables, one summary of these BENCH:SIZE rows, comma-separated (sizes like 8, 4K, 1M)")
	title := fs.String("title", "Summary", "title of the -pick table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "benchtable: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *pick != "" {
		if err := summary(stdout, *dir, *pick, *title, strings.Split(*impls, ","), *num); err != nil {
			fmt.Fprintf(stderr, "benchtable: %v\n", err)
			return 1
		}
		return 0
	}
	for _, b := range strings.Split(*benches, ",") {
		if err := table(stdout, *dir, b, strings.Split(*impls, ","), *num, *base); err != nil {
			fmt.Fprintf(stderr, "benchtable: %v\n", err)
			return 1
		}
	}
	return 0
}

// table renders benchmark b of dir.
func table(w io.Writer, dir, b string, impls []string, num, base string) error {
	k, err := osu.ParseKind(b)
	if err != nil {
		return err
	}
	runs, err := compare.LoadDir(dir, b, impls)
	if err != nil {
		return fmt.Errorf("%s: %w", b, err)
	}
	t := compare.Table{
		Title: k.Title(), Unit: k.Unit(), Impls: impls, Labels: labels,
		Num: num, Base: base, LowerIsBetter: k.LowerIsBetter(),
	}
	return t.Render(w, runs)
}

// summary renders the rows picks names (BENCH:SIZE,…) of dir as one table.
// The benchmarks must share a unit.
func summary(w io.Writer, dir, picks, title string, impls []string, num string) error {
	ps, err := compare.ParsePicks(picks)
	if err != nil {
		return err
	}
	runs := map[string]*compare.Runs{}
	var unit string
	lower := false
	for _, p := range ps {
		k, err := osu.ParseKind(p.Bench)
		if err != nil {
			return err
		}
		if unit != "" && k.Unit() != unit {
			return fmt.Errorf("-pick mixes units %s and %s", unit, k.Unit())
		}
		unit, lower = k.Unit(), k.LowerIsBetter()
		if runs[p.Bench] != nil {
			continue
		}
		if runs[p.Bench], err = compare.LoadDir(dir, p.Bench, impls); err != nil {
			return fmt.Errorf("%s: %w", p.Bench, err)
		}
	}
	s := compare.Summary{Title: title, Unit: unit, Impls: impls, Labels: labels, Num: num, LowerIsBetter: lower}
	return s.Render(w, ps, runs)
}
