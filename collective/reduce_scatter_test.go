package collective

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reduceScatterCase checks ReduceScatter (uneven counts, some zero) or
// ReduceScatterBlock (n elements per rank) on []T.
type reduceScatterCase[T comm.Scalar] struct {
	alg     string
	block   bool
	inPlace bool
	only    string
	nilSend bool // in place by a nil send, the whole vector in recv
}

// countsFor cuts n into p counts, some of them zero, the same on every rank.
func countsFor(n, p int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 77))
	counts := make([]int, p)
	for range n {
		counts[rng.IntN(p)]++
	}
	if p > 2 && n > 0 { // make sure some rank gets nothing
		counts[0] += counts[p/2]
		counts[p/2] = 0
	}
	return counts
}

func (k reduceScatterCase[T]) run(c *comm.Comm, n int, seed uint64) error {
	p, r := c.Size(), c.Rank()
	counts := countsFor(n, p, seed)
	if k.block {
		for i := range counts {
			counts[i] = n
		}
	}
	total, off := 0, 0
	for i, k := range counts {
		if i < r {
			off += k
		}
		total += k
	}
	for _, o := range opsFor[T]() {
		if k.only != "" && o.name != k.only {
			continue
		}
		what := fmt.Sprintf("reduce_scatter[%s] block=%v %s []%T counts=%v p=%d rank %d in-place=%v", k.alg, k.block, o.name, *new(T), counts, p, r, k.inPlace)
		send := reductionInput[T](seed, r, total, o.name)
		recv := make([]T, counts[r])
		arg := send
		switch {
		case k.nilSend:
			arg, recv = nil, send
		case k.inPlace:
			recv = send[:counts[r]]
		}
		var err error
		if k.block {
			err = ReduceScatterBlock(c, arg, recv, o.op)
		} else {
			err = ReduceScatter(c, arg, recv, counts, o.op)
		}
		recv = recv[:counts[r]]
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		want, tol := serialReference[T](seed, total, o.name, 0, p)
		if err := near(what, recv, want[off:off+counts[r]], tol[off:off+counts[r]]); err != nil {
			return err
		}
	}
	return nil
}

func reduceScatterCases(alg string, block, inPlace bool) []typedCase {
	return []typedCase{
		reduceScatterCase[int32]{alg: alg, block: block, inPlace: inPlace},
		reduceScatterCase[int64]{alg: alg, block: block, inPlace: inPlace},
		reduceScatterCase[uint8]{alg: alg, block: block, inPlace: inPlace},
		reduceScatterCase[uint64]{alg: alg, block: block, inPlace: inPlace},
		reduceScatterCase[float32]{alg: alg, block: block, inPlace: inPlace},
		reduceScatterCase[float64]{alg: alg, block: block, inPlace: inPlace},
		reduceScatterCase[complex128]{alg: alg, block: block, inPlace: inPlace},
	}
}

// TestReduceScatter covers ReduceScatter with every algorithm and the
// default choice (a subtest each), 1–8 ranks, every tested type and
// operation, in place too; and a million elements on 6 ranks (skipped with
// -short).
func TestReduceScatter(t *testing.T) {
	testReduceScatter(t, false)
}

// TestReduceScatterBlock is TestReduceScatter for ReduceScatterBlock.
func TestReduceScatterBlock(t *testing.T) {
	testReduceScatter(t, true)
}

func testReduceScatter(t *testing.T, block bool) {
	op := "reduce_scatter"
	if block {
		op = "reduce_scatter_block"
	}
	eachAlgorithm(t, append([]string{""}, algorithmsOf(t, op)...), func(t *testing.T, alg string) {
		onEachRankCount(t, testRanks, func(c *comm.Comm) error {
			setOverride(c, op, alg)
			for i, n := range testSizes {
				if err := eachCase(c, n, uint64(400+i), reduceScatterCases(alg, block, false)...); err != nil {
					return err
				}
			}
			if err := eachCase(c, 7, 8, reduceScatterCases(alg, block, true)...); err != nil {
				return err
			}
			return eachCase(c, 100, 9, reduceScatterCase[float64]{alg: alg, block: block, inPlace: true, nilSend: true}, reduceScatterCase[uint64]{alg: alg, block: block, inPlace: true, nilSend: true})
		})
		if alg != "" && !block {
			t.Run("large/p=6", func(t *testing.T) {
				if testing.Short() {
					t.Skip("large vectors")
				}
				onRanks(t, 6, func(c *comm.Comm) error {
					setOverride(c, op, alg)
					return eachCase(c, 1_000_000, 13, reduceScatterCase[float32]{alg: alg, only: "sum"})
				})
			})
		}
	})
}

func TestChooseReduceScatter(t *testing.T) {
	assert.Equal(t, reduceScatterHalving, chooseReduceScatter(1000, true))
	assert.Equal(t, reduceScatterPairwise, chooseReduceScatter(1<<20, true))
	assert.Equal(t, reduceScatterHalving, chooseReduceScatter(1<<20, false))
}

func TestBadArgsReduceScatter(t *testing.T) {
	require.ErrorIs(t, ReduceScatterBlock(nil, []int{1}, []int{0}, Sum), comm.ErrComm)
	onRanks(t, 3, func(c *comm.Comm) error {
		buf := make([]int, 9)
		checks := []error{
			ReduceScatter(c, make([]int, 6), make([]int, 2), []int{2, 2}, Sum),
			ReduceScatter(c, make([]int, 6), make([]int, 2), []int{2, 2, 3}, Sum),
			ReduceScatter(c, make([]int, 6), make([]int, 1), []int{2, 2, 2}, Sum),
			ReduceScatter(c, make([]int, 6), make([]int, 2), []int{4, -1, 3}, Sum),
			ReduceScatterBlock(c, make([]int, 7), make([]int, 2), Sum),
			ReduceScatterBlock(c, buf, buf[1:4], Sum),
		}
		for i, err := range checks {
			if !errors.Is(err, comm.ErrArg) {
				return fmt.Errorf("check %d: got %v", i, err)
			}
		}
		return nil
	})
}
