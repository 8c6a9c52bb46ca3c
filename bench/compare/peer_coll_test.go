package compare_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/bench/compare"
	"github.com/spmd-go/spmd/bench/osu"
)

// TestCollPeerMatchesSpmdbench checks that the MPI peer
// bench/peers/osu_coll.c builds with each installed MPI and prints the same
// table as spmdbench's collective benchmarks (heading, sizes, columns), so
// that compare-coll.sh compares like with like. It skips an MPI that is not
// installed, and everything with -short.
func TestCollPeerMatchesSpmdbench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs MPI jobs")
	}
	for name, tools := range mpis {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			run, exe := buildPeer(ctx, t, tools, "osu_coll")
			for _, k := range []osu.Kind{osu.Allreduce, osu.Gather, osu.ReduceScatter, osu.Barrier} {
				args := append(append([]string{}, run[1:]...), exe, string(k), "--max", "64", "--iters", "3", "--warmup", "1")
				cmd := exec.CommandContext(ctx, run[0], args...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				require.NoError(t, cmd.Run(), "%s %s: %s", name, k, stderr.String())
				assert.Contains(t, stdout.String(), "# "+k.Title()+" (")
				assert.Contains(t, stdout.String(), "\n# ranks: 2\n")
				assert.Contains(t, stdout.String(), "\n"+collColumnLine(k)+"\n", "same column heading as spmdbench")
				pts, err := compare.ParseTable(strings.NewReader(stdout.String()))
				require.NoError(t, err)
				var sizes []int
				for _, p := range pts {
					sizes = append(sizes, p.Size)
					assert.Greater(t, p.Value, 0.0)
				}
				want := osu.Sizes(osu.DefaultOptions(k).MinSize, 64)
				if k == osu.Barrier {
					want = []int{0}
				}
				assert.Equal(t, want, sizes, "same sizes as spmdbench")
				for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
					if !strings.HasPrefix(l, "#") {
						assert.Len(t, strings.Fields(l), 5, "size, avg, min, max, iterations: %q", l)
					}
				}
			}
		})
	}
}

// collColumnLine is spmdbench's table heading for collective k.
func collColumnLine(k osu.Kind) string {
	var b bytes.Buffer
	r := osu.Report{Benchmark: k, Title: k.Title()}
	_ = r.Write(&b, "table")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return lines[len(lines)-1]
}
