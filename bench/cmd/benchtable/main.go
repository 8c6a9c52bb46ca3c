// Command benchtable prints the comparison tables of a results directory
// written by scripts/compare-pt2pt.sh: for each benchmark, the median over
// rounds of every implementation per message size, and the ratio of spmd to
// a baseline.
//
//	benchtable -dir bench/results/2026-11-21-pt2pt-tcp
//	benchtable -dir DIR -benches latency -impls spmd,openmpi -base openmpi
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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "benchtable: unexpected argument %q\n", fs.Arg(0))
		return 2
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
