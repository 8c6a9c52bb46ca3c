package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reduceCase checks Reduce on []T to root with every tested operation.
type reduceCase[T comm.Scalar] struct {
	alg     string
	root    int
	inPlace bool
	only    string
	nilSend bool // in place by a nil send at the root
}

func (k reduceCase[T]) run(c *comm.Comm, n int, seed uint64) error {
	p, r := c.Size(), c.Rank()
	for _, o := range opsFor[T]() {
		if k.only != "" && o.name != k.only {
			continue
		}
		what := fmt.Sprintf("reduce[%s] %s []%T n=%d p=%d root=%d in-place=%v", k.alg, o.name, *new(T), n, p, k.root, k.inPlace)
		send := reductionInput[T](seed, r, n, o.name)
		orig := append([]T(nil), send...)
		var recv []T // nil off the root
		if r == k.root {
			recv = make([]T, n)
			if k.inPlace {
				recv = send
			}
		}
		arg := send
		if k.nilSend && r == k.root {
			arg = nil
		}
		if err := Reduce(c, arg, recv, o.op, k.root); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if r == k.root {
			want, tol := serialReference[T](seed, n, o.name, 0, p)
			if err := near(what, recv, want, tol); err != nil {
				return err
			}
		}
		if r != k.root || !k.inPlace {
			if err := near(what+": send changed", send, orig, make([]float64, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

func reduceCases(alg string, root int, inPlace bool) []typedCase {
	return []typedCase{
		reduceCase[int32]{alg: alg, root: root, inPlace: inPlace},
		reduceCase[int64]{alg: alg, root: root, inPlace: inPlace},
		reduceCase[uint8]{alg: alg, root: root, inPlace: inPlace},
		reduceCase[uint64]{alg: alg, root: root, inPlace: inPlace},
		reduceCase[float32]{alg: alg, root: root, inPlace: inPlace},
		reduceCase[float64]{alg: alg, root: root, inPlace: inPlace},
		reduceCase[complex128]{alg: alg, root: root, inPlace: inPlace},
	}
}

// TestReduce covers every algorithm and the default choice (a subtest
// each) on 1–8 ranks: every type at roots 0 and p−1, and every root with a
// commutative and a non-commutative operation; in place too; and a million
// elements on 5 ranks for the tree and Rabenseifner (skipped with -short).
func TestReduce(t *testing.T) {
	eachAlgorithm(t, append([]string{""}, algorithmsOf(t, "reduce")...), func(t *testing.T, alg string) {
		onEachRankCount(t, testRanks, func(c *comm.Comm) error {
			p := c.Size()
			setOverride(c, "reduce", alg)
			for i, n := range testSizes {
				seed := uint64(200 + i)
				for _, root := range []int{0, p - 1} {
					if err := eachCase(c, n, seed, reduceCases(alg, root, false)...); err != nil {
						return err
					}
				}
				for root := 1; root < p-1; root++ {
					if err := eachCase(c, n, seed, reduceCase[float64]{alg: alg, root: root, only: "sum"}, reduceCase[uint64]{alg: alg, root: root}); err != nil {
						return err
					}
				}
			}
			for root := range p {
				if err := eachCase(c, 7, 5, reduceCase[float64]{alg: alg, root: root, inPlace: true, only: "sum"}, reduceCase[uint64]{alg: alg, root: root, inPlace: true, nilSend: true}); err != nil {
					return err
				}
			}
			return nil
		})
		if alg == reduceBinomial || alg == reduceRabenseifner {
			t.Run("large/p=5", func(t *testing.T) {
				if testing.Short() {
					t.Skip("large vectors")
				}
				onRanks(t, 5, func(c *comm.Comm) error {
					setOverride(c, "reduce", alg)
					return eachCase(c, 1_000_000, 12, reduceCase[float64]{alg: alg, root: 2, only: "sum"})
				})
			})
		}
	})
}

func TestChooseReduce(t *testing.T) {
	assert.Equal(t, reduceBinomial, chooseReduce(2048, 256, 4))
	assert.Equal(t, reduceBinomial, chooseReduce(1<<20, 3, 4))
	assert.Equal(t, reduceRabenseifner, chooseReduce(4096, 512, 4))
}

// TestBadRootReduce: a root out of range fails on every rank with
// comm.ErrRank before any message; a wrong recv length at the root fails
// there.
func TestBadRootReduce(t *testing.T) {
	require.ErrorIs(t, Reduce(nil, []int{1}, nil, Sum, 0), comm.ErrComm)
	onRanks(t, 3, func(c *comm.Comm) error {
		for _, root := range []int{-1, 3, 100} {
			if err := Reduce(c, []int{1}, []int{0}, Sum, root); !errors.Is(err, comm.ErrRank) {
				return fmt.Errorf("root %d: got %v", root, err)
			}
		}
		// The root fails before any message; the others' sends to it are
		// eager and complete; the call still counts on every rank, so the
		// collectives after it line up.
		if err := Reduce(c, []int{1}, nil, Sum, 0); c.Rank() == 0 && !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("short recv at root: got %v", err)
		} else if c.Rank() != 0 && err != nil {
			return fmt.Errorf("rank %d: %v", c.Rank(), err)
		}
		return allreduceCase[float64]{only: "sum"}.run(c, 7, 1)
	})
}
