package collective

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
)

// afterError runs a correct broadcast after an erroneous call: the streams
// and the call count must still be in step on every rank.
func afterError(c *comm.Comm, seed int) error {
	if err := bcastCase[float64](c, "binomial", 0, 100, seed); err != nil {
		return fmt.Errorf("broadcast after the error: %w", err)
	}
	return nil
}

// TestNilComm: every collective rejects the nil communicator (and the
// zero Comm value) with comm.ErrComm, before anything else.
func TestNilComm(t *testing.T) {
	for _, c := range []*comm.Comm{nil, new(comm.Comm)} {
		testNilComm(t, c)
	}
}

func testNilComm(t *testing.T, c *comm.Comm) {
	buf := []int{1}
	for name, err := range map[string]error{
		"Barrier":            Barrier(c),
		"Allreduce":          Allreduce(c, buf, buf, Sum),
		"Reduce":             Reduce(c, buf, buf, Sum, 0),
		"ReduceScatter":      ReduceScatter(c, buf, buf, []int{1}, Sum),
		"ReduceScatterBlock": ReduceScatterBlock(c, buf, buf, Sum),
		"Scan":               Scan(c, buf, buf, Sum),
		"Exscan":             Exscan(c, buf, buf, Sum),
		"Bcast":              Bcast(c, buf, 0),
		"Scatter":            Scatter(c, buf, buf, 0),
		"Scatterv":           Scatterv(c, buf, []int{1}, buf, 0),
		"Gather":             Gather(c, buf, buf, 0),
		"Gatherv":            Gatherv(c, buf, buf, []int{1}, 0),
		"Allgather":          Allgather(c, buf, buf),
		"Allgatherv":         Allgatherv(c, buf, buf, []int{1}),
		"Alltoall":           Alltoall(c, buf, buf),
		"Alltoallv":          Alltoallv(c, buf, []int{1}, buf, []int{1}),
	} {
		require.ErrorIs(t, err, comm.ErrComm, name)
	}
	_, err := Ibcast(c, buf, 0)
	require.ErrorIs(t, err, comm.ErrComm)
	_, err = BcastObj(c, 1, 0)
	require.ErrorIs(t, err, comm.ErrComm)
	_, err = GatherObj(c, 1, 0)
	require.ErrorIs(t, err, comm.ErrComm)
	_, err = ScatterObj(c, []int{1}, 0)
	require.ErrorIs(t, err, comm.ErrComm)
	_, err = AllgatherObj(c, 1)
	require.ErrorIs(t, err, comm.ErrComm)
	_, err = AllreduceObj(c, 1, func(a, b int) int { return a + b })
	require.ErrorIs(t, err, comm.ErrComm)
	_, err = Iallreduce(c, buf, buf, Sum)
	require.ErrorIs(t, err, comm.ErrComm)
	_, err = Ibarrier(c)
	require.ErrorIs(t, err, comm.ErrComm)
}

// TestBadRoot: a root outside the communicator fails on every rank,
// before any message, and the next collective works.
func TestBadRoot(t *testing.T) {
	onRanks(t, 3, func(c *comm.Comm) error {
		buf := make([]int, 3)
		for _, root := range []int{-1, 3} {
			for name, err := range map[string]error{
				"Bcast":    Bcast(c, buf, root),
				"Scatter":  Scatter(c, buf, buf[:1], root),
				"Scatterv": Scatterv(c, buf, []int{1, 1, 1}, buf[:1], root),
				"Gather":   Gather(c, buf[:1], buf, root),
				"Gatherv":  Gatherv(c, buf[:1], buf, []int{1, 1, 1}, root),
			} {
				if !errors.Is(err, comm.ErrRank) {
					return fmt.Errorf("%s with root %d: %v, want ErrRank", name, root, err)
				}
			}
			if _, err := BcastObj(c, 1, root); !errors.Is(err, comm.ErrRank) {
				return fmt.Errorf("BcastObj with root %d: %v", root, err)
			}
		}
		return afterError(c, 1)
	})
}

// TestBadArgs: local argument errors that every rank makes alike come
// back as comm.ErrArg or ErrAlgorithm, and the next collective works.
func TestBadArgs(t *testing.T) {
	onRanks(t, 3, func(c *comm.Comm) error {
		buf := make([]int, 12)
		for name, err := range map[string]error{
			"Allgather short recv":      Allgather(c, buf[:3], buf[:8]),
			"Allgather in place uneven": Allgather(c, nil, buf[:5]),
			"Allgatherv counts length":  Allgatherv(c, buf[:1], buf, []int{1, 1}),
			"Allgatherv negative count": Allgatherv(c, buf[:1], buf, []int{1, -1, 1}),
			// Rooted calls with every rank its own root: each fails alike.
			"Allgatherv short recv":       Allgatherv(c, buf[:1], buf[:2], []int{1, 1, 1}),
			"Alltoall uneven send":        Alltoall(c, buf[:5], buf),
			"Alltoall short recv":         Alltoall(c, buf[:6], buf[:3]),
			"Alltoallv recvCounts":        Alltoallv(c, buf[:3], []int{1, 1, 1}, buf, []int{1, 1}),
			"Alltoallv short send":        Alltoallv(c, buf[:2], []int{1, 1, 1}, buf, []int{1, 1, 1}),
			"Scatter in place uneven":     Scatter(c, buf[:5], nil, c.Rank()),
			"Gather in place uneven":      Gather(c, nil, buf[:5], c.Rank()),
			"Gather short recv at root":   Gather(c, buf[:3], buf[:5], c.Rank()),
			"Gatherv counts at root":      Gatherv(c, buf[:1], buf, []int{1}, c.Rank()),
			"Scatterv counts at root":     Scatterv(c, buf, []int{1, -1, 1}, buf[:1], c.Rank()),
			"Scatterv short send at root": Scatterv(c, buf[:2], []int{1, 1, 1}, buf[:1], c.Rank()),
		} {
			if !errors.Is(err, comm.ErrArg) {
				return fmt.Errorf("%s: %v, want ErrArg", name, err)
			}
		}
		if err := Bcast(forcing(c, "bcast", "nope"), buf, 0); !errors.Is(err, ErrAlgorithm) {
			return fmt.Errorf("unknown algorithm: %v", err)
		}
		return afterError(c, 2)
	})
}

// checkMismatch runs bad on p ranks, where the ranks disagree about a length;
// at least one rank must report comm.ErrTruncate or ErrMismatch, none may
// hang or panic, and a correct collective must work afterwards.
func checkMismatch(t *testing.T, p int, name string, bad func(c *comm.Comm) error) {
	t.Helper()
	var noticed atomic.Int32
	onRanks(t, p, func(c *comm.Comm) error {
		err := bad(c)
		switch {
		case errors.Is(err, comm.ErrTruncate) || errors.Is(err, ErrMismatch):
			noticed.Add(1)
		case err != nil:
			return fmt.Errorf("%s: unexpected error %w", name, err)
		}
		return afterError(c, 3)
	})
	require.Positive(t, noticed.Load(), "%s: no rank noticed the mismatch", name)
}

// TestDataMovementLengthMismatch gives one rank a length that disagrees with the
// others', for every algorithm, short and past the eager limit.
func TestDataMovementLengthMismatch(t *testing.T) {
	const p = 5
	for _, n := range []int{7, 100_000} {
		odd := func(c *comm.Comm, delta int) int { // rank 3's length is off
			if c.Rank() == 3 {
				return n + delta
			}
			return n
		}
		for _, delta := range []int{-2, 3} {
			for _, alg := range Algorithms()["bcast"] {
				checkMismatch(t, p, "bcast "+alg, func(c *comm.Comm) error {
					return Bcast(forcing(c, "bcast", alg), make([]float64, odd(c, delta)), 1)
				})
			}
			for _, alg := range Algorithms()["gather"] {
				checkMismatch(t, p, "gather "+alg, func(c *comm.Comm) error {
					return Gather(forcing(c, "gather", alg), make([]float64, odd(c, delta)), make([]float64, p*n+p*3), 0)
				})
				checkMismatch(t, p, "gatherv "+alg, func(c *comm.Comm) error {
					counts := []int{n, n, n, n, n}
					return Gatherv(forcing(c, "gather", alg), make([]float64, odd(c, delta)), make([]float64, p*n), counts, 2)
				})
			}
			for _, alg := range Algorithms()["scatter"] {
				checkMismatch(t, p, "scatter "+alg, func(c *comm.Comm) error {
					return Scatter(forcing(c, "scatter", alg), make([]float64, p*n+p*3), make([]float64, odd(c, delta)), 0)
				})
				checkMismatch(t, p, "scatterv "+alg, func(c *comm.Comm) error {
					counts := []int{n, n, n, n, n}
					return Scatterv(forcing(c, "scatter", alg), make([]float64, p*n), counts, make([]float64, odd(c, delta)), 4)
				})
			}
			for _, alg := range Algorithms()["allgather"] {
				checkMismatch(t, p, "allgather "+alg, func(c *comm.Comm) error {
					return Allgather(forcing(c, "allgather", alg), make([]float64, odd(c, delta)), make([]float64, p*(n+3)))
				})
			}
			for _, alg := range Algorithms()["alltoall"] {
				checkMismatch(t, p, "alltoall "+alg, func(c *comm.Comm) error {
					return Alltoall(forcing(c, "alltoall", alg), make([]float64, p*odd(c, delta)), make([]float64, p*(n+3)))
				})
			}
			for _, alg := range Algorithms()["alltoallv"] {
				checkMismatch(t, p, "alltoallv "+alg, func(c *comm.Comm) error {
					counts := []int{n, n, n, n, n}
					sc := append([]int(nil), counts...)
					sc[1] = odd(c, delta)
					return Alltoallv(forcing(c, "alltoallv", alg), make([]float64, p*n+3), sc, make([]float64, p*n), counts)
				})
			}
		}
	}
}
