package comm_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/require"
)

// shareModes are the ways a large message between ranks on one host can be
// copied. LocalRanks 1 keeps the host from counting as oversubscribed,
// where copies are never shared, whatever this machine's cores.
var shareModes = []struct {
	name   string
	cfg    comm.Config
	shares bool
}{
	{"shared", comm.Config{Transport: "shm", LocalRanks: 1}, true},
	{"pull", comm.Config{Transport: "shm", LocalRanks: 1, NoShare: true}, false},
	{"ring", comm.Config{Transport: "shm", LocalRanks: 1, NoCMA: true}, false},
}

func runShareModes(t *testing.T, n int, f func(c *comm.Comm) error) {
	t.Helper()
	for _, m := range shareModes {
		t.Run(m.name, func(t *testing.T) {
			require.NoError(t, commtest.Run(n, func(c *comm.Comm) error {
				if err := f(c); err != nil {
					return err
				}
				for r := range c.Size() {
					if r == c.Rank() {
						continue
					}
					if err := comm.Connect(c, r); err != nil {
						return err
					}
					if got := comm.SharesCopies(c, r); got != m.shares {
						return fmt.Errorf("copies from rank %d shared: %v, want %v", r, got, m.shares)
					}
				}
				if s, r := comm.PendingRendezvous(c); s != 0 || r != 0 {
					return fmt.Errorf("%d sends and %d receives still pending", s, r)
				}
				// Every test has rank 1 receive large messages.
				if n := comm.SharedCopies(c); (n > 0) != m.shares && (c.Rank() == 1 || !m.shares) {
					return fmt.Errorf("%d receives shared their copy, want some: %v", n, m.shares)
				}
				return nil
			}, commtest.Config(m.cfg), commtest.Timeout(60*time.Second)))
		})
	}
}

// bytePattern fills n bytes that depend on seed and position.
func bytePattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>9 + seed*13)
	}
	return b
}

func checkBytes(got []byte, seed int) error {
	want := bytePattern(len(got), seed)
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("byte %d of %d is %d, want %d", i, len(got), got[i], want[i])
		}
	}
	return nil
}

// TestSharedCopySizes moves messages around the smallest shared size and
// odd ones above it, both ranks sending at once, with the receive posted
// before the message arrives (matched as the RTS lands) and after (matched
// by the receive), in every copy mode.
func TestSharedCopySizes(t *testing.T) {
	m := comm.ShareMinBytes
	sizes := []int{m - 1, m, m + 1, 2*m + 4095, 100_003, 1 << 20, 3<<20 + 17}
	runShareModes(t, 2, func(c *comm.Comm) error {
		other := 1 - c.Rank()
		for i, n := range sizes {
			seed := i + 10*c.Rank()
			in := make([]byte, n)
			req, err := comm.Irecv(c, in, other, i)
			if err != nil {
				return err
			}
			if err := comm.Send(c, bytePattern(n, seed), other, i); err != nil {
				return fmt.Errorf("send %d bytes: %w", n, err)
			}
			st, err := req.Wait()
			if err != nil {
				return fmt.Errorf("receive %d bytes: %w", n, err)
			}
			if st.Bytes != n || st.Source != other || st.Tag != i {
				return fmt.Errorf("status %+v for %d bytes", st, n)
			}
			if err := checkBytes(in, i+10*other); err != nil {
				return err
			}
			// Now rank 0 sends again, and rank 1 posts its receive only
			// once the message is there (Probe): it waits as unexpected
			// and the receive matches it.
			if c.Rank() == 0 {
				if err := comm.Send(c, bytePattern(n, seed+1), other, 100+i); err != nil {
					return err
				}
				continue
			}
			if _, err := c.Probe(other, 100+i); err != nil {
				return err
			}
			if _, err := comm.Recv(c, in, other, 100+i); err != nil {
				return err
			}
			if err := checkBytes(in, i+10*other+1); err != nil {
				return fmt.Errorf("unexpected %d bytes: %w", n, err)
			}
		}
		return nil
	})
}

// TestSharedCopyTruncates receives a shared message into a shorter buffer:
// the receive reports ErrTruncate with the head of the message, and the
// next message arrives whole.
func TestSharedCopyTruncates(t *testing.T) {
	const n = 1<<20 + 3
	runShareModes(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			if err := comm.Send(c, bytePattern(n, 1), 1, 0); err != nil {
				return err
			}
			return comm.Send(c, bytePattern(n, 2), 1, 0)
		}
		short := make([]byte, 3*comm.ShareMinBytes+5)
		st, err := comm.Recv(c, short, 0, 0)
		if !errors.Is(err, comm.ErrTruncate) {
			return fmt.Errorf("want ErrTruncate, got %v", err)
		}
		if st.Bytes != len(short) {
			return fmt.Errorf("status %+v", st)
		}
		if err := checkBytes(short, 1); err != nil {
			return err
		}
		full := make([]byte, n)
		if _, err := comm.Recv(c, full, 0, 0); err != nil {
			return err
		}
		return checkBytes(full, 2)
	})
}

// TestSharedCopyWindow keeps a window of large sends in flight around a
// ring of three ranks, received in the order posted (MPI's
// non-overtaking), as the bandwidth benchmark does.
func TestSharedCopyWindow(t *testing.T) {
	const window, n = 16, 256<<10 + 9
	runShareModes(t, 3, func(c *comm.Comm) error {
		p, me := c.Size(), c.Rank()
		right, left := (me+1)%p, (me-1+p)%p
		var reqs []*comm.Request
		in := make([][]byte, window)
		for k := range in {
			in[k] = make([]byte, n)
			r, err := comm.Irecv(c, in[k], left, 5)
			if err != nil {
				return err
			}
			reqs = append(reqs, r)
		}
		for k := range window {
			r, err := comm.Isend(c, bytePattern(n, 100*me+k), right, 5)
			if err != nil {
				return err
			}
			reqs = append(reqs, r)
		}
		if err := comm.WaitAll(reqs...); err != nil {
			return err
		}
		for k := range in {
			if err := checkBytes(in[k], 100*left+k); err != nil {
				return fmt.Errorf("message %d from rank %d: %w", k, left, err)
			}
		}
		return nil
	})
}

// TestSharedCopyNotBetweenSenders has rank 0 receive a large message from
// rank 1 while its own large send to rank 1 waits for rank 1's receive:
// rank 1 would have to copy both, so rank 0 copies alone; rank 1, then
// only receiving, shares the copy of rank 0's message.
func TestSharedCopyNotBetweenSenders(t *testing.T) {
	const n = 1 << 20
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		me, other := c.Rank(), 1-c.Rank()
		in := make([]byte, n)
		if me == 0 {
			req, err := comm.Isend(c, bytePattern(n, me), other, 1)
			if err != nil {
				return err
			}
			if _, err := comm.Recv(c, in, other, 2); err != nil {
				return err
			}
			if _, err := req.Wait(); err != nil {
				return err
			}
		} else {
			if err := comm.Send(c, bytePattern(n, me), other, 2); err != nil {
				return err
			}
			if _, err := comm.Recv(c, in, other, 1); err != nil {
				return err
			}
		}
		if err := checkBytes(in, other); err != nil {
			return err
		}
		if got, want := comm.SharedCopies(c), uint64(me); got != want {
			return fmt.Errorf("%d receives shared their copy, want %d", got, want)
		}
		return nil
	}, commtest.Config(comm.Config{Transport: "shm", LocalRanks: 1}), commtest.Timeout(60*time.Second)))
}

// TestSharedCopySenderBusy has a sender that never claims the tail it is
// offered, as one that computes or is descheduled: its receiver copies the
// whole message itself, and both complete.
func TestSharedCopySenderBusy(t *testing.T) {
	m := comm.ShareMinBytes
	sizes := []int{m, 2*m + 4095, 1 << 20, 3<<20 + 17}
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			if err := comm.RefuseShares(c, 1); err != nil {
				return err
			}
			for i, n := range sizes {
				if err := comm.Send(c, bytePattern(n, i), 1, i); err != nil {
					return err
				}
			}
			return nil
		}
		for i, n := range sizes {
			in := make([]byte, n)
			if _, err := comm.Recv(c, in, 0, i); err != nil {
				return err
			}
			if err := checkBytes(in, i); err != nil {
				return fmt.Errorf("%d bytes: %w", n, err)
			}
		}
		if got := comm.SharedCopies(c); got != uint64(len(sizes)) {
			return fmt.Errorf("%d receives offered a share, want %d", got, len(sizes))
		}
		return nil
	}, commtest.Config(comm.Config{Transport: "shm", LocalRanks: 1}), commtest.Timeout(60*time.Second)))
}

// TestSharedCopyAllocatesNothing ping-pongs messages whose copy is shared,
// and messages whose tail the receiver takes back, and counts the
// allocations of both ranks (one process) per round trip.
func TestSharedCopyAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const n = 256 << 10
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprint("refuse=", refuse), func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				other := 1 - c.Rank()
				if refuse {
					if err := comm.RefuseShares(c, other); err != nil {
						return err
					}
				}
				buf := make([]byte, n)
				step := func() {
					for turn := range 2 {
						var err error
						if c.Rank() == turn {
							err = comm.Send(c, buf, other, 0)
						} else {
							_, err = comm.Recv(c, buf, other, 0)
						}
						if err != nil {
							panic(err)
						}
					}
				}
				for range 50 {
					step()
				}
				allocs := testing.AllocsPerRun(100, step)
				if c.Rank() == 0 && allocs > 0.05 {
					return fmt.Errorf("%.2f allocations per round trip", allocs)
				}
				if comm.SharedCopies(c) == 0 {
					return fmt.Errorf("no copy was shared")
				}
				return nil
			}, commtest.Config(comm.Config{Transport: "shm", LocalRanks: 1}), commtest.Timeout(60*time.Second)))
		})
	}
}
