package comm_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWireUpJobs runs real jobs through spmdrun, many ranks on this host
// (oversubscribed), and checks from each rank's own report that a ring
// program holds a link per neighbour, not per rank, and that shared memory
// grows with the pairs that talked.
func TestWireUpJobs(t *testing.T) {
	jobs := newJobRunner(t, "github.com/spmd-go/spmd/comm/internal/testprogs/wireup")
	job := func(t *testing.T, n int, args ...string) []report {
		stdout := jobs.run(t, n, 90*time.Second, nil, args...)
		var reps []report
		sc := bufio.NewScanner(bytes.NewReader(stdout))
		for sc.Scan() {
			var r report
			if _, err := fmt.Sscanf(sc.Text(), "rank %d sockets %d shm %d", &r.rank, &r.sockets, &r.shm); err == nil {
				reps = append(reps, r)
			}
		}
		require.Len(t, reps, n, "stdout:\n%s", stdout)
		return reps
	}
	t.Run("ring of 24", func(t *testing.T) {
		// A rank reports right after its ring exchange, but ranks that got
		// there first are in Finalize's barrier already, whose
		// dissemination rounds reach a rank from up to log2(24) more
		// peers. Without lazy wire-up every rank held 23 links.
		const links = 2 + 5
		seg := pageUp(4096 + 2*(256+64<<10)) // a pair's segment with the rings for 24 local ranks
		for _, r := range job(t, 24) {
			// Each link is a socket; so are the listener and the
			// launcher's connection.
			require.LessOrEqual(t, r.sockets, links+2, "rank %d", r.rank)
			require.GreaterOrEqual(t, r.shm, 2*seg, "rank %d", r.rank)
			require.LessOrEqual(t, r.shm, links*seg, "rank %d", r.rank)
			require.Zero(t, r.shm%seg, "rank %d", r.rank)
		}
	})
	t.Run("ring and allreduce on 48", func(t *testing.T) {
		total, most := 0, 0
		for _, r := range job(t, 48, "-allreduce") {
			total += r.shm
			most = max(most, r.sockets)
		}
		// Each segment is mapped by the two ranks of its pair. The ring and
		// the allreduce's partners make about eight pairs per rank of
		// 16 KiB rings: a few MiB in all, where a segment per rank with a
		// ring per local peer took 48² rings of 256 KiB.
		require.Less(t, total/2, 16<<20, "bytes of shared memory")
		require.LessOrEqual(t, most, 20, "sockets of the busiest rank")
	})
}

type report struct{ rank, sockets, shm int }

func pageUp(n int) int {
	p := os.Getpagesize()
	return (n + p - 1) / p * p
}
