package comm_test

import (
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/require"
)

// TestRecvDirectKeepsOrder: a blocking receive that takes its peer's next
// frame straight from the ring still lets what MPI orders first go first:
// an earlier message of the same peer and tag already queued as
// unexpected, and a matching receive posted earlier.
func TestRecvDirectKeepsOrder(t *testing.T) {
	for _, transport := range []comm.Transport{"shm", "tcp"} {
		t.Run(string(transport), func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				one := func(v int64) []int64 { return []int64{v} }
				got := make([]int64, 1)
				if c.Rank() == 0 {
					// A (tag 1) and C (tag 2), then, once rank 1 has
					// queued A as unexpected, B (tag 1).
					if err := comm.Send(c, one(1), 1, 1); err != nil {
						return err
					}
					if err := comm.Send(c, one(3), 1, 2); err != nil {
						return err
					}
					if _, err := comm.Recv(c, got, 1, 9); err != nil {
						return err
					}
					if err := comm.Send(c, one(2), 1, 1); err != nil {
						return err
					}
					// D then E (tag 1), once rank 1 has posted an Irecv.
					if _, err := comm.Recv(c, got, 1, 9); err != nil {
						return err
					}
					if err := comm.Send(c, one(4), 1, 1); err != nil {
						return err
					}
					return comm.Send(c, one(5), 1, 1)
				}
				if _, err := comm.Recv(c, got, 0, 2); err != nil { // C; A is now unexpected
					return err
				}
				if got[0] != 3 {
					return fmt.Errorf("tag 2 got %d, want 3", got[0])
				}
				if err := comm.Send(c, []int64{0}, 0, 9); err != nil {
					return err
				}
				for _, want := range []int64{1, 2} { // A, then B from the ring
					if _, err := comm.Recv(c, got, 0, 1); err != nil {
						return err
					}
					if got[0] != want {
						return fmt.Errorf("tag 1 got %d, want %d: an unexpected message was overtaken", got[0], want)
					}
				}
				early := make([]int64, 1)
				r, err := comm.Irecv(c, early, 0, 1)
				if err != nil {
					return err
				}
				if err := comm.Send(c, []int64{0}, 0, 9); err != nil {
					return err
				}
				if _, err := comm.Recv(c, got, 0, comm.AnyTag); err != nil {
					return err
				}
				if _, err := r.Wait(); err != nil {
					return err
				}
				if early[0] != 4 || got[0] != 5 {
					return fmt.Errorf("the earlier Irecv got %d and the Recv %d, want 4 and 5", early[0], got[0])
				}
				return nil
			}, commtest.Config(comm.Config{Transport: transport})))
		})
	}
}
