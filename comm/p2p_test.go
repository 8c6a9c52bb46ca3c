package comm_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRingAllSizes(t *testing.T) {
	for n := 1; n <= 8; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			run(t, n, func(c *comm.Comm) error {
				r, p := c.Rank(), c.Size()
				in := make([]int64, 3)
				st, err := comm.Sendrecv(c, pattern(3, r), (r+1)%p, 4, in, (r-1+p)%p, 4)
				if err != nil {
					return err
				}
				if err := check(st == comm.Status{Source: (r - 1 + p) % p, Tag: 4, Bytes: 24}, "status %+v", st); err != nil {
					return err
				}
				return checkPattern(in, (r-1+p)%p)
			})
		})
	}
}

// TestSizes moves messages from 0 bytes to 64 MiB, across the eager limit,
// between two ranks and from a rank to itself.
func TestSizes(t *testing.T) {
	const eager = comm.DefaultEagerLimit / 8 // in int64s
	sizes := []int{0, 1, 7, eager - 32, eager - 31, eager, eager + 1, 1 << 17, 8 << 20}
	run(t, 2, func(c *comm.Comm) error {
		other := 1 - c.Rank()
		for i, n := range sizes {
			for _, dest := range []int{other, c.Rank()} {
				in := make([]int64, n)
				req, err := comm.Irecv(c, in, dest, i)
				if err != nil {
					return err
				}
				// Both ranks send to the other before receiving: large
				// messages must not deadlock.
				if err := comm.Send(c, pattern(n, i+10*c.Rank()), dest, i); err != nil {
					return fmt.Errorf("send %d elements to %d: %w", n, dest, err)
				}
				st, err := req.Wait()
				if err != nil {
					return fmt.Errorf("recv %d elements from %d: %w", n, dest, err)
				}
				if err := check(comm.Count[int64](st) == n && st.Source == dest && st.Tag == i, "status %+v for %d elements", st, n); err != nil {
					return err
				}
				if err := checkPattern(in, i+10*dest); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func TestExchange64MiBBeforeReceiving(t *testing.T) {
	const n = 64 << 20 / 8
	run(t, 2, func(c *comm.Comm) error {
		other := 1 - c.Rank()
		out := pattern(n, c.Rank())
		sreq, err := comm.Isend(c, out, other, 0)
		if err != nil {
			return err
		}
		in := make([]int64, n)
		rreq, err := comm.Irecv(c, in, other, 0)
		if err != nil {
			return err
		}
		if err := comm.WaitAll(sreq, rreq); err != nil {
			return err
		}
		if sends, recvs := comm.PendingRendezvous(c); sends+recvs != 0 {
			return fmt.Errorf("%d sends and %d receives still in rendezvous", sends, recvs)
		}
		return checkPattern(in, other)
	})
}

// TestNonOvertaking mixes eager and rendezvous messages on one tag: they
// must be received in the order sent, also through AnySource/AnyTag.
func TestNonOvertaking(t *testing.T) {
	const msgs = 60
	size := func(i int) int { return []int{0, 1, 3000, 20000, 100}[i%5] }
	run(t, 3, func(c *comm.Comm) error {
		switch c.Rank() {
		case 0, 1:
			reqs := make([]*comm.Request, msgs)
			for i := range msgs {
				buf := pattern(size(i)+1, i)
				buf[0] = int64(i)
				var err error
				if reqs[i], err = comm.Isend(c, buf, 2, 5); err != nil {
					return err
				}
			}
			return comm.WaitAll(reqs...)
		default:
			next := [2]int{}
			for range 2 * msgs {
				buf := make([]int64, 20001)
				st, err := comm.Recv(c, buf, comm.AnySource, comm.AnyTag)
				if err != nil {
					return err
				}
				i := next[st.Source]
				if err := check(buf[0] == int64(i) && comm.Count[int64](st) == size(i)+1, "from %d: got message %d (%d elements), want %d", st.Source, buf[0], comm.Count[int64](st), i); err != nil {
					return err
				}
				next[st.Source]++
			}
			return nil
		}
	})
}

func TestWildcardsAndTags(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			for _, tag := range []int{3, 1, 2} {
				if err := comm.Send(c, []int32{int32(tag)}, 1, tag); err != nil {
					return err
				}
			}
			return comm.Send(c, []int32{0}, 1, 9) // sent last, so rank 1's tag-2 receive waits for nothing
		}
		buf := make([]int32, 1)
		// Specific tags can be taken out of order of arrival.
		for _, tag := range []int{2, 3} {
			st, err := comm.Recv(c, buf, 0, tag)
			if err != nil {
				return err
			}
			if err := check(buf[0] == int32(tag) && st.Tag == tag, "tag %d: got %d", tag, buf[0]); err != nil {
				return err
			}
		}
		// AnyTag takes the earliest remaining one.
		st, err := comm.Recv(c, buf, comm.AnySource, comm.AnyTag)
		if err != nil {
			return err
		}
		if err := check(st.Tag == 1 && buf[0] == 1, "AnyTag took tag %d", st.Tag); err != nil {
			return err
		}
		_, err = comm.Recv(c, buf, 0, 9)
		return err
	})
}

func TestTruncateKeepsStream(t *testing.T) {
	for _, n := range []int{10, 100_000} { // eager and rendezvous
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			run(t, 2, func(c *comm.Comm) error {
				if c.Rank() == 0 {
					if err := comm.Send(c, pattern(n, 1), 1, 0); err != nil {
						return err
					}
					return comm.Send(c, pattern(n, 2), 1, 0)
				}
				small := make([]int64, n/2)
				st, err := comm.Recv(c, small, 0, 0)
				if !errors.Is(err, comm.ErrTruncate) {
					return fmt.Errorf("want ErrTruncate, got %v", err)
				}
				if err := check(st.Bytes == 8*(n/2), "status %+v", st); err != nil {
					return err
				}
				if err := checkPattern(small, 1); err != nil {
					return err
				}
				full := make([]int64, n)
				if _, err := comm.Recv(c, full, 0, 0); err != nil {
					return err
				}
				return checkPattern(full, 2)
			})
		})
	}
}

// TestThousandOutstanding keeps 1000 receives and 1000 sends in flight per
// rank, posted before any is waited for.
func TestThousandOutstanding(t *testing.T) {
	const k = 1000
	run(t, 4, func(c *comm.Comm) error {
		p, r := c.Size(), c.Rank()
		right, left := (r+1)%p, (r-1+p)%p
		ins := make([][]int64, k)
		reqs := make([]*comm.Request, 0, 2*k)
		for i := range k {
			ins[i] = make([]int64, 1+i%50)
			req, err := comm.Irecv(c, ins[i], left, i%7)
			if err != nil {
				return err
			}
			reqs = append(reqs, req)
		}
		for i := range k {
			req, err := comm.Isend(c, pattern(1+i%50, i+r), right, i%7)
			if err != nil {
				return err
			}
			reqs = append(reqs, req)
		}
		if err := comm.WaitAll(reqs...); err != nil {
			return err
		}
		for i := range k {
			if err := checkPattern(ins[i], i+left); err != nil {
				return fmt.Errorf("message %d: %w", i, err)
			}
		}
		return nil
	})
}

// TestUnexpectedFloodIsBounded sends far more small messages than the eager
// window holds before the receiver posts anything: the receiver's buffered
// bytes stay within the window, the surplus waits in the senders as
// rendezvous, and everything arrives in order.
func TestUnexpectedFloodIsBounded(t *testing.T) {
	const msgs = 20000
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			reqs := make([]*comm.Request, msgs)
			bufs := make([][]int64, msgs)
			for i := range msgs {
				bufs[i] = []int64{int64(i), 1, 2, 3}
				var err error
				if reqs[i], err = comm.Isend(c, bufs[i], 1, 0); err != nil {
					return err
				}
			}
			if err := comm.Send(c, []int64{}, 1, 1); err != nil { // "all posted"
				return err
			}
			return comm.WaitAll(reqs...)
		}
		if _, err := comm.Recv(c, []int64{}, 0, 1); err != nil {
			return err
		}
		held, window := comm.UnexpectedBytes(c), comm.EagerWindow(c)
		if err := check(held > 0 && held <= window, "holding %d unexpected bytes with a window of %d", held, window); err != nil {
			return err
		}
		buf := make([]int64, 4)
		for i := range msgs {
			if _, err := comm.Recv(c, buf, 0, 0); err != nil {
				return err
			}
			if err := check(buf[0] == int64(i), "message %d arrived as %d", i, buf[0]); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestSsendCompletesOnlyWhenMatched(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			req, err := comm.Issend(c, []byte("hi"), 1, 1)
			if err != nil {
				return err
			}
			// Rank 1 posts its receive only after our "go" below, so the
			// synchronous send cannot have completed yet.
			done, _, err := req.Test()
			if err := check(!done && err == nil, "Issend completed before the receive was posted"); err != nil {
				return err
			}
			if err := comm.Send(c, []byte{}, 1, 2); err != nil {
				return err
			}
			_, err = req.Wait()
			return err
		}
		if _, err := comm.Recv(c, []byte{}, 0, 2); err != nil {
			return err
		}
		buf := make([]byte, 2)
		_, err := comm.Recv(c, buf, 0, 1)
		return errors.Join(err, check(string(buf) == "hi", "got %q", buf))
	})
}

// TestSsendBlocking: a blocking Ssend returns once the receiver has taken
// the message, also for a message within the eager limit.
func TestSsendBlocking(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			for i := range 3 {
				if err := comm.Ssend(c, []int{i}, 1, 4); err != nil {
					return err
				}
			}
			return nil
		}
		buf := []int{-1}
		for i := range 3 {
			if _, err := comm.Recv(c, buf, 0, 4); err != nil {
				return err
			}
			if err := check(buf[0] == i, "message %d arrived as %d", i, buf[0]); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestProbe(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			return comm.Send(c, make([]float64, 37), 1, 6)
		}
		st, err := c.Probe(comm.AnySource, comm.AnyTag)
		if err != nil {
			return err
		}
		if err := check(st == comm.Status{Source: 0, Tag: 6, Bytes: 37 * 8} && comm.Count[float64](st) == 37, "probe %+v", st); err != nil {
			return err
		}
		ok, st2, err := c.Iprobe(0, 6)
		if err := errors.Join(err, check(ok && st2 == st, "iprobe %v %+v", ok, st2)); err != nil {
			return err
		}
		if _, err := comm.Recv(c, make([]float64, comm.Count[float64](st)), st.Source, st.Tag); err != nil {
			return err
		}
		ok, _, err = c.Iprobe(comm.AnySource, comm.AnyTag)
		return errors.Join(err, check(!ok, "iprobe found a message after it was received"))
	})
}

func TestCancel(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		req, err := comm.Irecv(c, make([]int, 1), 1-c.Rank(), 99)
		if err != nil {
			return err
		}
		if err := req.Cancel(); err != nil {
			return err
		}
		_, err = req.Wait()
		if !errors.Is(err, comm.ErrCanceled) {
			return fmt.Errorf("want ErrCanceled, got %v", err)
		}
		sreq, err := comm.Isend(c, []int{1}, 1-c.Rank(), 98)
		if err != nil {
			return err
		}
		if err := check(errors.Is(sreq.Cancel(), comm.ErrArg), "a send cannot be cancelled"); err != nil {
			return err
		}
		_, err = comm.Recv(c, make([]int, 1), 1-c.Rank(), 98)
		return errors.Join(err, comm.WaitAll(sreq))
	})
}

func TestWaitAny(t *testing.T) {
	run(t, 3, func(c *comm.Comm) error {
		if c.Rank() != 0 {
			return comm.Send(c, []int{c.Rank()}, 0, 0)
		}
		bufs := [][]int{{-1}, {-1}, {-1}}
		reqs := make([]*comm.Request, 3)
		for i := 1; i < 3; i++ {
			var err error
			if reqs[i], err = comm.Irecv(c, bufs[i], i, 0); err != nil {
				return err
			}
		}
		seen := map[int]bool{}
		for range 2 {
			i, st, err := comm.WaitAny(reqs...)
			if err != nil {
				return err
			}
			if err := check(reqs[i] == nil && st.Source == i && bufs[i][0] == i && !seen[i], "WaitAny returned %d %+v", i, st); err != nil {
				return err
			}
			seen[i] = true
		}
		i, _, err := comm.WaitAny(reqs...)
		return errors.Join(err, check(i == -1, "WaitAny with no live request returned %d", i))
	})
}

func TestProcNull(t *testing.T) {
	run(t, 1, func(c *comm.Comm) error {
		if err := comm.Send(c, []int{1}, comm.ProcNull, 0); err != nil {
			return err
		}
		st, err := comm.Recv(c, make([]int, 1), comm.ProcNull, 0)
		return errors.Join(err, check(st == comm.Status{Source: comm.ProcNull, Tag: comm.AnyTag}, "status %+v", st))
	})
}

func TestObjects(t *testing.T) {
	type particle struct {
		Name string
		Pos  [3]float64
		Tags map[string]int
	}
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			return comm.SendObj(c, particle{"p", [3]float64{1, 2, 3}, map[string]int{"a": 1}}, 1, 0)
		}
		var p particle
		st, err := comm.RecvObj(c, &p, comm.AnySource, comm.AnyTag)
		if err != nil {
			return err
		}
		return check(st.Source == 0 && p.Name == "p" && p.Pos[2] == 3 && p.Tags["a"] == 1, "got %+v", p)
	})
}

// TestConcurrentGoroutines drives one communicator from many goroutines per
// rank at once (MPI_THREAD_MULTIPLE).
func TestConcurrentGoroutines(t *testing.T) {
	const workers, rounds = 8, 50
	run(t, 2, func(c *comm.Comm) error {
		other := 1 - c.Rank()
		errs := make(chan error, workers)
		for g := range workers {
			go func() {
				for i := range rounds {
					in := make([]int64, 1+g*300)
					if _, err := comm.Sendrecv(c, pattern(len(in), g*1000+i), other, g, in, other, g); err != nil {
						errs <- err
						return
					}
					if err := checkPattern(in, g*1000+i); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		var all []error
		for range workers {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	})
}

func TestArgumentErrors(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		buf := []int{1}
		_, err := comm.Isend(c, buf, 2, 0)
		assert.ErrorIs(t, err, comm.ErrRank)
		assert.ErrorIs(t, comm.Send(c, buf, -5, 0), comm.ErrRank)
		assert.ErrorIs(t, comm.Send(c, buf, 0, -1), comm.ErrTag)
		_, err = comm.Recv(c, buf, 7, 0)
		assert.ErrorIs(t, err, comm.ErrRank)
		_, err = comm.Recv(c, buf, 0, -9)
		assert.ErrorIs(t, err, comm.ErrTag)
		var null *comm.Comm
		assert.ErrorIs(t, comm.Send(null, buf, 0, 0), comm.ErrComm)
		assert.Equal(t, -1, null.Rank())
		return nil
	})
}

func TestFinalizeIdempotentThenErrFinalized(t *testing.T) {
	var after error
	err := commtest.Run(2, func(c *comm.Comm) error {
		if err := c.Finalize(); err != nil {
			return err
		}
		if err := c.Finalize(); err != nil {
			return err
		}
		if c.Rank() == 0 {
			after = comm.Send(c, []int{1}, 1, 0)
		}
		return nil
	})
	require.NoError(t, err)
	assert.ErrorIs(t, after, comm.ErrFinalized)
}

// TestPeerLost: rank 1 dies while rank 0 waits for it; rank 0's receive
// fails promptly with an error naming rank 1.
func TestPeerLost(t *testing.T) {
	var got error
	err := commtest.Run(3, func(c *comm.Comm) error {
		switch c.Rank() {
		case 1:
			// Links are made on first use: talk to rank 2 first, so that it
			// has a link whose end tells it of rank 1's death. (A rank that
			// never talked to the dead one learns it from the launcher.)
			if err := comm.Send(c, []int{}, 2, 5); err != nil {
				return err
			}
			if _, err := comm.Recv(c, []int{}, 0, 1); err != nil { // wait until rank 0 is blocked
				return err
			}
			c.Abort(7)
		case 0:
			req, err := comm.Irecv(c, make([]int, 1), 1, 0)
			if err != nil {
				return err
			}
			if err := comm.Send(c, []int{}, 1, 1); err != nil {
				return err
			}
			_, got = req.Wait()
			return got
		}
		// Rank 2 waits on an AnySource receive, which rank 1's loss also ends.
		if _, err := comm.Recv(c, []int{}, 1, 5); err != nil {
			return err
		}
		_, err := comm.Recv(c, make([]int, 1), comm.AnySource, 0)
		return err
	}, commtest.Timeout(30e9))
	require.Error(t, err)
	var abort *commtest.AbortError
	require.ErrorAs(t, err, &abort)
	assert.Equal(t, 7, abort.Code)
	require.ErrorIs(t, got, comm.ErrPeerLost)
	var pl *comm.PeerLostError
	require.ErrorAs(t, got, &pl)
	assert.Equal(t, 1, pl.Rank)
	assert.Contains(t, got.Error(), "rank 1")
}

func TestNewRequest(t *testing.T) {
	req, complete := comm.NewRequest()
	done, _, err := req.Test()
	require.NoError(t, err)
	require.False(t, done)
	go complete(comm.Status{Bytes: 3}, nil)
	st, err := req.Wait()
	require.NoError(t, err)
	assert.Equal(t, 3, st.Bytes)
	complete(comm.Status{}, errors.New("late")) // the first completion wins
	_, err = req.Wait()
	assert.NoError(t, err)
}

func TestPayloadPoolAllocatesNothing(t *testing.T) {
	comm.PutPayload(comm.GetPayload(100))
	allocs := testing.AllocsPerRun(100, func() { comm.PutPayload(comm.GetPayload(100)) })
	assert.Zero(t, allocs)
}
