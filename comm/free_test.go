package comm_test

import (
	"errors"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// TestFreeLifecycle: a freed communicator refuses every operation, its
// attributes go, its context id is the next one handed out, and the world
// can be neither freed nor finalized through another communicator.
func TestFreeLifecycle(t *testing.T) {
	key := comm.NewKeyval()
	run(t, 3, func(c *comm.Comm) error {
		reserved, matching := comm.ContextsHeld(c)
		sub, err := c.Split(0, c.Rank())
		if err != nil {
			return err
		}
		sub.AttrOrInit(key, func() any { return "cached" })
		id := comm.ContextID(sub)
		if err := sub.Finalize(); !errors.Is(err, comm.ErrComm) {
			return check(false, "Finalize of a split communicator: %v, want ErrComm", err)
		}
		if err := c.Free(); !errors.Is(err, comm.ErrComm) {
			return check(false, "Free of the world: %v, want ErrComm", err)
		}
		if err := sub.Free(); err != nil {
			return err
		}
		if err := check(sub.Attr(key) == nil, "attribute survived Free: %v", sub.Attr(key)); err != nil {
			return err
		}
		for name, err := range map[string]error{
			"second Free": sub.Free(),
			"Send":        comm.Send(sub, []int{1}, 0, 0),
			"Split":       func() error { _, err := sub.Split(0, 0); return err }(),
			"Dup":         func() error { _, err := sub.Dup(); return err }(),
			"Iprobe":      func() error { _, _, err := sub.Iprobe(comm.AnySource, comm.AnyTag); return err }(),
		} {
			if !errors.Is(err, comm.ErrComm) {
				return check(false, "%s on a freed communicator: %v, want ErrComm", name, err)
			}
		}
		r, m := comm.ContextsHeld(c)
		if err := check(r == reserved && m == matching, "after Free: %d ids reserved and %d matching contexts, want %d and %d", r, m, reserved, matching); err != nil {
			return err
		}
		again, err := c.Dup()
		if err != nil {
			return err
		}
		if err := check(comm.ContextID(again) == id, "new communicator got context %d, want the freed %d", comm.ContextID(again), id); err != nil {
			return err
		}
		return again.Free()
	})
}

// TestFreeWithPendingOperation: a receive still posted, or a rendezvous
// send not yet received, makes Free fail on every member and leaves the
// communicator usable; once the operation completes, Free succeeds.
func TestFreeWithPendingOperation(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int // message length in int64s
	}{
		{"posted receive", 1},
		{"rendezvous send", 1 << 17}, // 1 MiB: above every eager limit
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, 2, func(c *comm.Comm) error {
				sub, err := c.Dup()
				if err != nil {
					return err
				}
				var req *comm.Request
				buf := make([]int64, tc.size)
				switch {
				case tc.size == 1 && c.Rank() == 1:
					req, err = comm.Irecv(sub, buf, 0, 3)
				case tc.size > 1 && c.Rank() == 0:
					req, err = comm.Isend(sub, pattern(tc.size, 9), 1, 3)
				}
				if err != nil {
					return err
				}
				if err := sub.Free(); !errors.Is(err, comm.ErrPending) {
					return check(false, "Free with an operation pending at some rank: %v, want ErrPending", err)
				}
				switch {
				case req != nil:
					if _, err := req.Wait(); err != nil {
						return err
					}
				case tc.size == 1:
					if err := comm.Send(sub, pattern(1, 9), 1, 3); err != nil {
						return err
					}
				default:
					if _, err := comm.Recv(sub, buf, 0, 3); err != nil {
						return err
					}
				}
				if c.Rank() == 1 {
					if err := checkPattern(buf, 9); err != nil {
						return err
					}
				}
				return sub.Free()
			})
		})
	}
}

// TestFreeDiscardsUnreceived: a message that arrived on a communicator and
// was never received is dropped by Free (and reported), and never reaches
// the next communicator that gets the same context id, even with
// AnySource and AnyTag.
func TestFreeDiscardsUnreceived(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		sub, err := c.Dup()
		if err != nil {
			return err
		}
		id := comm.ContextID(sub)
		if c.Rank() == 0 {
			if err := comm.Send(sub, []int64{-1}, 1, 5); err != nil {
				return err
			}
		}
		err = sub.Free()
		if c.Rank() == 0 && err != nil {
			return err
		}
		if c.Rank() == 1 && !errors.Is(err, comm.ErrPending) {
			return check(false, "Free over an unreceived message: %v, want ErrPending", err)
		}
		next, err := c.Dup()
		if err != nil {
			return err
		}
		if err := check(comm.ContextID(next) == id, "context %d, want the freed %d reused", comm.ContextID(next), id); err != nil {
			return err
		}
		if c.Rank() == 0 {
			if err := comm.Send(next, []int64{42}, 1, 6); err != nil {
				return err
			}
		} else {
			got := []int64{0}
			st, err := comm.Recv(next, got, comm.AnySource, comm.AnyTag)
			if err != nil {
				return err
			}
			if err := check(got[0] == 42 && st.Tag == 6, "new communicator received %d with tag %d: the freed one's message", got[0], st.Tag); err != nil {
				return err
			}
		}
		return next.Free()
	})
}

// TestSplitKeysCannotOverflow: keys at the ends of int order correctly.
func TestSplitKeysCannotOverflow(t *testing.T) {
	keys := []int{math.MaxInt, math.MinInt, 0}
	want := []int{2, 0, 1}
	run(t, 3, func(c *comm.Comm) error {
		sub, err := c.Split(0, keys[c.Rank()])
		if err != nil {
			return err
		}
		if err := check(sub.Rank() == want[c.Rank()], "rank %d with key %d is %d in the split, want %d", c.Rank(), keys[c.Rank()], sub.Rank(), want[c.Rank()]); err != nil {
			return err
		}
		return sub.Free()
	})
}

// TestSplitFreeBoundedMemory: a program that splits and frees a
// communicator 100,000 times holds no more context ids or matching state
// at the end than at the start, and its heap does not grow with the
// iterations.
func TestSplitFreeBoundedMemory(t *testing.T) {
	iterations := 100_000
	if testing.Short() || raceEnabled {
		iterations = 10_000
	}
	const warmup = 1_000
	// A leak of one context's state per iteration (a few hundred bytes)
	// would exceed this many times over at 100,000 iterations.
	const slack = 8 << 20
	start := time.Now()
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		reserved, matching := comm.ContextsHeld(c)
		var before runtime.MemStats
		for i := range iterations {
			if i == warmup && c.Rank() == 0 {
				runtime.GC()
				runtime.ReadMemStats(&before)
			}
			sub, err := c.Split(i%2, -c.Rank())
			if err != nil {
				return err
			}
			if err := check(sub.Size() == 2 && sub.Rank() == 1-c.Rank(), "iteration %d: rank %d of %d", i, sub.Rank(), sub.Size()); err != nil {
				return err
			}
			if err := sub.Free(); err != nil {
				return err
			}
			// The peer may already be in the next Split, but its first
			// messages travel on the parent's context.
			r, m := comm.ContextsHeld(c)
			if err := check(r == reserved && m == matching, "after %d splits: %d ids reserved and %d matching contexts, want %d and %d", i+1, r, m, reserved, matching); err != nil {
				return err
			}
		}
		if c.Rank() == 0 {
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			grew := int64(after.HeapInuse) - int64(before.HeapInuse)
			t.Logf("%d splits and frees: heap in use %d → %d bytes", iterations, before.HeapInuse, after.HeapInuse)
			return check(grew < slack, "heap in use grew by %d bytes over %d splits and frees", grew, iterations-warmup)
		}
		return nil
	}, commtest.Config(comm.Config{Transport: comm.TransportShm}), commtest.Timeout(5*time.Minute)))
	t.Logf("%d iterations in %v", iterations, time.Since(start))
}

// TestWaitAllStatus: each status belongs to its request; nil entries get
// zero; a truncated receive's status survives its error.
func TestWaitAllStatus(t *testing.T) {
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			return errors.Join(comm.Send(c, []int32{1, 2, 3}, 1, 4), comm.Send(c, []int64{5, 6}, 1, 8))
		}
		a, b := make([]int32, 3), make([]int64, 1)
		ra, err := comm.Irecv(c, a, 0, 4)
		if err != nil {
			return err
		}
		rb, err := comm.Irecv(c, b, 0, 8)
		if err != nil {
			return err
		}
		sts, err := comm.WaitAllStatus(ra, nil, rb)
		if !errors.Is(err, comm.ErrTruncate) {
			return check(false, "WaitAllStatus: %v, want ErrTruncate from the second receive", err)
		}
		want := []comm.Status{{Source: 0, Tag: 4, Bytes: 12}, {}, {Source: 0, Tag: 8, Bytes: 8}}
		for i := range want {
			if err := check(sts[i] == want[i], "status %d: %+v, want %+v", i, sts[i], want[i]); err != nil {
				return err
			}
		}
		return nil
	}))
}

// TestFreeWithLostMember: a member that dies instead of calling Free makes
// the others' Free fail promptly with its rank, and leaves the
// communicator unusable.
func TestFreeWithLostMember(t *testing.T) {
	var got, after error
	// Rank 1 dies only once rank 0's Dup has returned too: Dup's last
	// message may still be on its way to rank 0 when rank 1's returns.
	duped := make(chan struct{})
	err := commtest.Run(2, func(c *comm.Comm) error {
		sub, err := c.Dup()
		if c.Rank() == 0 {
			close(duped)
		}
		if err != nil {
			return err
		}
		if c.Rank() == 1 {
			<-duped
			c.Abort(3)
		}
		got = sub.Free()
		after = comm.Send(sub, []int{1}, 0, 0)
		return got
	}, commtest.Timeout(30*time.Second))
	var abort *commtest.AbortError
	require.ErrorAs(t, err, &abort)
	require.ErrorIs(t, got, comm.ErrPeerLost)
	var pl *comm.PeerLostError
	require.ErrorAs(t, got, &pl)
	require.Equal(t, 1, pl.Rank)
	require.ErrorIs(t, after, comm.ErrComm)
}
