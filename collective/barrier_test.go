package collective

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/stretchr/testify/require"
)

// TestBarrier checks that no rank leaves a barrier before every rank has
// entered it, over several rounds, with Barrier and Ibarrier, for its one
// algorithm (a subtest, as for every collective).
func TestBarrier(t *testing.T) {
	eachAlgorithm(t, algorithmsOf(t, "barrier"), testBarrier)
	require.ErrorIs(t, Barrier(nil), comm.ErrComm)
	_, err := Ibarrier(nil)
	require.ErrorIs(t, err, comm.ErrComm)
}

func testBarrier(t *testing.T, alg string) {
	for _, p := range testRanks {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			t.Parallel()
			var entered atomic.Int64 // the ranks share the test's memory
			onRanks(t, p, func(c *comm.Comm) error {
				setOverride(c, "barrier", alg)
				for round := 1; round <= 5; round++ {
					entered.Add(1)
					if round%2 == 0 {
						req, err := Ibarrier(c)
						if err != nil {
							return err
						}
						if _, err := req.Wait(); err != nil {
							return err
						}
					} else if err := Barrier(c); err != nil {
						return err
					}
					if got := entered.Load(); got < int64(round*p) {
						return fmt.Errorf("round %d: left the barrier with %d of %d entries", round, got, round*p)
					}
					// A second barrier keeps the next round's entries
					// from racing with this round's check.
					if err := Barrier(c); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}
