package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spmd-go/spmd/bench/osu"
	"github.com/spmd-go/spmd/collective"
)

// args is the parsed command line.
type args struct {
	kind      osu.Kind
	opts      osu.Options
	format    string
	algorithm string // collective algorithm to force ("" for the default choice)
	list      bool   // --list-algorithms: print them and run nothing
}

// sizeFlag is a flag.Value holding a byte count such as 4K or 16M.
type sizeFlag struct{ p *int }

func (f sizeFlag) String() string {
	if f.p == nil {
		return ""
	}
	return fmt.Sprint(*f.p)
}

func (f sizeFlag) Set(s string) error {
	n, err := osu.ParseSize(s)
	if err != nil {
		return err
	}
	*f.p = n
	return nil
}

// parseArgs reads "BENCHMARK [flags]" or "--list-algorithms"; flags
// default to OSU's values for the benchmark. Help goes to out and yields
// flag.ErrHelp. An --algorithm is checked against the collective's
// algorithms but not yet forced (see osu.ForceAlgorithm).
func parseArgs(argv []string, out io.Writer) (args, error) {
	var a args
	if len(argv) == 0 || strings.HasPrefix(argv[0], "-") {
		if len(argv) > 0 && (argv[0] == "-h" || argv[0] == "--help" || argv[0] == "-help") {
			fmt.Fprint(out, usage)
			return a, flag.ErrHelp
		}
		if len(argv) == 1 && (argv[0] == "--list-algorithms" || argv[0] == "-list-algorithms") {
			a.list = true
			return a, nil
		}
		return a, fmt.Errorf("no benchmark named (want one of %v or %v): %w", osu.Kinds, osu.CollectiveKinds, osu.ErrOptions)
	}
	k, err := osu.ParseKind(argv[0])
	if err != nil {
		return a, err
	}
	a.kind, a.opts = k, osu.DefaultOptions(k)
	o := &a.opts
	fs := flag.NewFlagSet("spmdbench "+string(k), flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, usage) }
	fs.Var(sizeFlag{&o.MinSize}, "min", "smallest message size (bytes; K/M suffixes)")
	fs.Var(sizeFlag{&o.MaxSize}, "max", "largest message size")
	fs.IntVar(&o.Iters, "iters", o.Iters, "timed iterations up to --large")
	fs.IntVar(&o.Warmup, "warmup", o.Warmup, "warm-up iterations up to --large")
	fs.IntVar(&o.ItersLarge, "iters-large", o.ItersLarge, "timed iterations above --large")
	fs.IntVar(&o.WarmupLarge, "warmup-large", o.WarmupLarge, "warm-up iterations above --large")
	fs.Var(sizeFlag{&o.LargeSize}, "large", "large-message threshold")
	fs.IntVar(&o.Window, "window", o.Window, "bandwidth window")
	fs.DurationVar(&o.Target, "target", 0, "calibrate timed iterations to take about this long per size (0: fixed counts)")
	fs.IntVar(&o.MinIters, "min-iters", o.MinIters, "fewest timed iterations with --target")
	fs.IntVar(&o.MaxIters, "max-iters", o.MaxIters, "most timed iterations with --target")
	fs.StringVar(&a.format, "format", "table", "output format: table, csv or json")
	fs.StringVar(&o.Data, "data", o.Data, "point-to-point send data: osu, field or random")
	fs.StringVar(&a.algorithm, "algorithm", "", "collective algorithm to force (see --list-algorithms)")
	if err := fs.Parse(argv[1:]); err != nil {
		return a, err
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), osu.ErrOptions)
	}
	if !slices.Contains(osu.Formats, a.format) {
		return a, fmt.Errorf("format %q (want one of %v): %w", a.format, osu.Formats, osu.ErrOptions)
	}
	if a.algorithm != "" {
		if !k.Collective() {
			return a, fmt.Errorf("--algorithm applies to collective benchmarks only, not %s: %w", k, osu.ErrOptions)
		}
		if names := collective.Algorithms()[string(k)]; !slices.Contains(names, a.algorithm) {
			return a, fmt.Errorf("%s has no algorithm %q (want one of %v): %w", k, a.algorithm, names, osu.ErrOptions)
		}
	}
	return a, o.Check()
}

const usage = `usage: spmdrun -n N spmdbench BENCHMARK [flags]
       spmdbench --list-algorithms
       spmdbench scale [flags] -- PROGRAM [ARGS...]   (see spmdbench scale --help)

Point-to-point benchmarks (OSU Micro-Benchmarks method, exactly 2 ranks):
  latency     one-way latency of a blocking ping-pong, us (sizes 0..16M)
  bandwidth   unidirectional bandwidth, window of 64 Isend/Irecv + ack, MB/s (1..16M)
  bibw        bidirectional bandwidth, MB/s (1..16M)
  objlatency  latency of comm.SendObj/RecvObj of a []byte, us (0..16M)

Collective benchmarks (osu_allreduce etc., any number of ranks): average
latency per call over the ranks, with min and max, us; each timed call is
followed by an untimed barrier. Sizes 1..1M (8..1M for the reductions):
  allreduce, reduce, reduce_scatter   size/8 float64 in all, Sum (root 0)
  bcast                               size bytes from rank 0
  gather, scatter, allgather          size bytes per rank (root 0)
  alltoall                            size bytes per pair of ranks
  barrier                             one row, size 0
  objallreduce                        AllreduceObj of size/8 float64, new-slice sum

Flags:
  --min N, --max N        message sizes, doubling from min (K, M, G suffixes)
  --iters N, --warmup N   timed and warm-up iterations up to --large (8K)
                          (latency 1000/100, bandwidth 100/10, collectives 1000/200)
  --iters-large N, --warmup-large N
                          the same above --large (latency and collectives 100/10,
                          bandwidth 20/2)
  --window N              bandwidth window (64)
  --target D              instead of fixed counts, time each size for about D
                          (e.g. 250ms), within --min-iters..--max-iters (3..1000000)
  --algorithm NAME        collectives: force this algorithm (SPMD_COLL_<OP>=NAME);
                          spmdbench --list-algorithms lists them
  --format F              table (OSU layout), csv or json
  --data D                point-to-point send buffer: osu (every byte 'a', the
                          default), field (a smooth float64 field) or random;
                          it matters only with SPMD_COMPRESS

Rank 0 writes the results with a header describing the machine.
`
