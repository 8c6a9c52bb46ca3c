package collective

import (
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

// scanCase checks Scan (or Exscan) on []T with every tested operation.
type scanCase[T comm.Scalar] struct {
	alg       string
	exclusive bool
	inPlace   bool
	nilSend   bool // in place by a nil send
}

func (k scanCase[T]) run(c *comm.Comm, n int, seed uint64) error {
	p, r := c.Size(), c.Rank()
	for _, o := range opsFor[T]() {
		what := fmt.Sprintf("scan[%s] exclusive=%v %s []%T n=%d p=%d rank %d in-place=%v", k.alg, k.exclusive, o.name, *new(T), n, p, r, k.inPlace)
		send := reductionInput[T](seed, r, n, o.name)
		recv := reductionInput[T](seed+1, r, n, o.name) // exscan leaves rank 0's alone
		if k.inPlace {
			recv = send
		}
		before := append([]T(nil), recv...)
		arg := send
		if k.nilSend {
			arg = nil
		}
		var err error
		if k.exclusive {
			err = Exscan(c, arg, recv, o.op)
		} else {
			err = Scan(c, arg, recv, o.op)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		hi := r + 1
		if k.exclusive {
			hi = r
		}
		if hi == 0 {
			if err := near(what+": rank 0's recv changed", recv, before, make([]float64, n)); err != nil {
				return err
			}
			continue
		}
		want, tol := serialReference[T](seed, n, o.name, 0, hi)
		if err := near(what, recv, want, tol); err != nil {
			return err
		}
	}
	return nil
}

func scanCases(alg string, exclusive, inPlace bool) []typedCase {
	return []typedCase{
		scanCase[int32]{alg, exclusive, inPlace, false},
		scanCase[int64]{alg, exclusive, inPlace, false},
		scanCase[uint8]{alg, exclusive, inPlace, false},
		scanCase[uint64]{alg, exclusive, inPlace, inPlace},
		scanCase[float32]{alg, exclusive, inPlace, false},
		scanCase[float64]{alg, exclusive, inPlace, inPlace},
		scanCase[complex128]{alg, exclusive, inPlace, false},
	}
}

// TestScan covers Scan with every algorithm and the default choice (a
// subtest each), 1–8 ranks, every tested type and operation (the affine
// maps check rank order), in place too.
func TestScan(t *testing.T) {
	testScan(t, false)
}

// TestExscan is TestScan for Exscan.
func TestExscan(t *testing.T) {
	testScan(t, true)
}

func testScan(t *testing.T, exclusive bool) {
	op := "scan"
	if exclusive {
		op = "exscan"
	}
	eachAlgorithm(t, append([]string{""}, algorithmsOf(t, op)...), func(t *testing.T, alg string) {
		onEachRankCount(t, testRanks, func(c *comm.Comm) error {
			setOverride(c, op, alg)
			for i, n := range testSizes {
				if err := eachCase(c, n, uint64(300+i), scanCases(alg, exclusive, false)...); err != nil {
					return err
				}
			}
			return eachCase(c, 7, 3, scanCases(alg, exclusive, true)...)
		})
	})
}
