package compare_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/bench/compare"
	"github.com/spmd-go/spmd/bench/osu"
)

// mpis are the MPI flavours: compiler wrapper and launcher with its flags.
var mpis = map[string][2][]string{
	"openmpi": {{"mpicc.openmpi"}, {"mpirun.openmpi", "--allow-run-as-root", "--oversubscribe", "-np", "2"}},
	"mpich":   {{"mpicc.mpich"}, {"mpirun.mpich", "-np", "2"}},
}

// buildPeer skips the test unless the MPI of tools is installed, then
// builds bench/peers/NAME.c with it (warnings are errors) and returns the
// mpirun command (as words) and the executable.
func buildPeer(ctx context.Context, t *testing.T, tools [2][]string, name string) ([]string, string) {
	t.Helper()
	cc, run := tools[0], tools[1]
	for _, bin := range []string{cc[0], run[0]} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	exe := filepath.Join(t.TempDir(), name)
	out, err := exec.CommandContext(ctx, cc[0], "-O2", "-Wall", "-Werror", "-o", exe, filepath.Join("..", "peers", name+".c")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return run, exe
}

// TestPeerMatchesSpmdbench checks that the MPI peer bench/peers/osu_pt2pt.c
// builds with each installed MPI and prints the same table as spmdbench, so
// that compare-pt2pt.sh compares like with like. It skips an MPI that is
// not installed, and everything with -short.
func TestPeerMatchesSpmdbench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs MPI jobs")
	}
	for name, tools := range mpis {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			run, exe := buildPeer(ctx, t, tools, "osu_pt2pt")
			for _, k := range []osu.Kind{osu.Latency, osu.Bandwidth, osu.BiBandwidth} {
				args := append(append([]string{}, run[1:]...), exe, string(k), "--max", "4K", "--iters", "3", "--warmup", "1", "--window", "4")
				cmd := exec.CommandContext(ctx, run[0], args...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				require.NoError(t, cmd.Run(), "%s %s: %s", name, k, stderr.String())
				assert.Contains(t, stdout.String(), "# "+k.Title()+" (")
				assert.Contains(t, stdout.String(), "\n"+columnLine(k)+"\n", "same column heading as spmdbench")
				pts, err := compare.ParseTable(strings.NewReader(stdout.String()))
				require.NoError(t, err)
				var sizes []int
				for _, p := range pts {
					sizes = append(sizes, p.Size)
					assert.GreaterOrEqual(t, p.Value, 0.0) // tiny bandwidths print as 0.00
				}
				o := osu.DefaultOptions(k)
				assert.Equal(t, osu.Sizes(o.MinSize, 4<<10), sizes, "same sizes as spmdbench")
			}
		})
	}
}

// columnLine is spmdbench's table heading for k (see osu.Report).
func columnLine(k osu.Kind) string {
	var b bytes.Buffer
	r := osu.Report{Benchmark: k, Title: k.Title()}
	_ = r.Write(&b, "table")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return lines[len(lines)-1]
}
