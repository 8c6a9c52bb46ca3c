package comm_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// TestLazyWireUp: Init opens no connection; a send makes the one link it
// needs, on both sides, and nobody else's.
func TestLazyWireUp(t *testing.T) {
	for _, tr := range []comm.Transport{comm.TransportTCP, comm.TransportShm} {
		// Outside the job (links would be made otherwise), ranks 0 and 1
		// talk and count their links, then ranks 2 and 3 count theirs;
		// only then does any rank go on to Finalize, whose barrier makes
		// more links.
		var started, talked, counted sync.WaitGroup
		started.Add(4)
		talked.Add(2)
		counted.Add(2)
		require.NoError(t, commtest.Run(4, func(c *comm.Comm) error {
			return lazyWireUp(c, &started, &talked, &counted)
		}, commtest.Config(comm.Config{Transport: tr}), commtest.Timeout(60*time.Second)), "%s", tr)
	}
}

func lazyWireUp(c *comm.Comm, started, talked, counted *sync.WaitGroup) error {
	// Every rank looks before any sends: rank 0's first send dials rank 1.
	n := comm.Links(c)
	started.Done()
	started.Wait()
	if n != 0 {
		return fmt.Errorf("%d links right after Init, want 0", n)
	}
	switch c.Rank() {
	case 0:
		if err := comm.Send(c, []int{42}, 1, 0); err != nil {
			return err
		}
		if _, err := comm.Recv(c, []int{0}, 1, 1); err != nil {
			return err
		}
	case 1:
		got := []int{0}
		if _, err := comm.Recv(c, got, 0, 0); err != nil {
			return err
		}
		if err := check(got[0] == 42, "got %d", got[0]); err != nil {
			return err
		}
		if err := comm.Send(c, []int{7}, 0, 1); err != nil {
			return err
		}
	}
	want := map[int]int{0: 1, 1: 1, 2: 0, 3: 0}[c.Rank()]
	if c.Rank() < 2 {
		// Counted before telling ranks 2 and 3, whose Finalize may dial us.
		err := check(comm.Links(c) == want, "rank %d holds %d links, want %d", c.Rank(), comm.Links(c), want)
		talked.Done()
		counted.Wait()
		return err
	}
	// Ranks 2 and 3 wait for each other too: Finalize's barrier on one of
	// them would dial the other before it had counted.
	talked.Wait()
	err := check(comm.Links(c) == want, "rank %d holds %d links, want %d", c.Rank(), comm.Links(c), want)
	counted.Done()
	counted.Wait()
	return err
}

// TestSimultaneousFirstSends: every rank sends to every other at once, as
// its first word to each, so that both sides of every pair dial together.
// Exactly one link per pair survives, and every message arrives, in order
// (one tag, eager and rendezvous sizes mixed).
func TestSimultaneousFirstSends(t *testing.T) {
	const n, msgs = 5, 4
	size := func(k int) int { return []int{8, 16 << 10, 100, 40 << 10}[k] } // int64s
	for round := range 2 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			run(t, n, func(c *comm.Comm) error {
				var reqs []*comm.Request
				got := make([][]int64, n*msgs)
				for src := range n {
					for k := range msgs {
						got[src*msgs+k] = make([]int64, size(k))
						r, err := comm.Irecv(c, got[src*msgs+k], src, 0)
						if err != nil {
							return err
						}
						reqs = append(reqs, r)
					}
				}
				for k := range msgs {
					for i := range n {
						dst := (c.Rank() + i) % n
						r, err := comm.Isend(c, pattern(size(k), c.Rank()*100+k), dst, 0)
						if err != nil {
							return err
						}
						reqs = append(reqs, r)
					}
				}
				if err := comm.WaitAll(reqs...); err != nil {
					return err
				}
				for src := range n {
					for k := range msgs {
						if err := checkPattern(got[src*msgs+k], src*100+k); err != nil {
							return fmt.Errorf("message %d from rank %d: %w", k, src, err)
						}
					}
				}
				return check(comm.Links(c) == n-1, "%d links, want %d", comm.Links(c), n-1)
			}, commtest.Timeout(60*time.Second))
		})
	}
}

// TestAnySourceWhileLinksAppear: receives and a probe from any source
// wait while no link exists yet, and take messages from links made while
// they wait.
func TestAnySourceWhileLinksAppear(t *testing.T) {
	const n = 5
	run(t, n, func(c *comm.Comm) error {
		if c.Rank() != 0 {
			// Arrive one after another, each on a link of its own.
			time.Sleep(time.Duration(c.Rank()) * 20 * time.Millisecond)
			if err := comm.Send(c, []int{c.Rank()}, 0, 3); err != nil {
				return err
			}
			return comm.Send(c, []int{-c.Rank()}, 0, 4)
		}
		st, err := c.Probe(comm.AnySource, 3)
		if err != nil {
			return err
		}
		if err := check(st.Source > 0 && comm.Links(c) >= 1, "probe: %+v with %d links", st, comm.Links(c)); err != nil {
			return err
		}
		seen := map[int]bool{}
		for range n - 1 {
			got := []int{0}
			st, err := comm.Recv(c, got, comm.AnySource, 3)
			if err != nil {
				return err
			}
			if err := check(got[0] == st.Source && !seen[got[0]], "got %d from %d (seen %v)", got[0], st.Source, seen); err != nil {
				return err
			}
			seen[got[0]] = true
		}
		reqs := make([]*comm.Request, n-1)
		bufs := make([][]int, n-1)
		for i := range reqs {
			bufs[i] = []int{0}
			if reqs[i], err = comm.Irecv(c, bufs[i], comm.AnySource, 4); err != nil {
				return err
			}
		}
		if err := comm.WaitAll(reqs...); err != nil {
			return err
		}
		return check(comm.Links(c) == n-1, "%d links, want %d", comm.Links(c), n-1)
	})
}

// TestRingHoldsFewLinks: a ring exchange on 16 ranks makes two links per
// rank, and the shared memory mapped stays that of two pairs. Every rank
// counts before any goes on to Finalize, whose barrier (there is no
// launcher's fence here) links ranks that never talked; the fence is
// outside the job, which a fence of the job's would break the same way.
// Without it a rank that counted late counted such a link, failed, and
// aborted, unknown to the ranks with no link to it, which waited for it
// in that barrier until the run's timeout. The last rank counts late, as
// a descheduled one may, so that a missing fence fails every run.
func TestRingHoldsFewLinks(t *testing.T) {
	const n = 16
	var counted sync.WaitGroup
	counted.Add(n)
	require.NoError(t, commtest.Run(n, func(c *comm.Comm) error {
		defer counted.Wait()
		defer counted.Done()
		right, left := (c.Rank()+1)%n, (c.Rank()+n-1)%n
		got := []int{0}
		for range 3 {
			if _, err := comm.Sendrecv(c, []int{c.Rank()}, right, 0, got, left, 0); err != nil {
				return err
			}
		}
		if c.Rank() == n-1 {
			time.Sleep(200 * time.Millisecond)
		}
		if err := check(got[0] == left, "got %d from the left, want %d", got[0], left); err != nil {
			return err
		}
		if err := check(comm.Links(c) == 2, "%d links, want 2", comm.Links(c)); err != nil {
			return err
		}
		for _, r := range []int{left, right} {
			if k := comm.LinkKind(c, r); k != "shm+cma" && k != "shm" {
				return fmt.Errorf("link to %d is %s, want shared memory", r, k)
			}
		}
		// Each rank maps the segments of its two pairs, whoever made them.
		seg := comm.SegmentBytes(c)
		one := 4096 + 2*(256+comm.RingSize(c))
		return check(seg == 2*one, "%d segment bytes mapped, want 2 pairs of %d", seg, one)
	}, commtest.Config(comm.Config{Transport: "shm"}), commtest.Timeout(60*time.Second)))
}

// TestPeerLostWithoutLink: a peer declared lost (as the launcher's word of
// its death does) before this rank ever talked to it fails the receives
// waiting on it or on any source, later sends to it, and any link to it.
func TestPeerLostWithoutLink(t *testing.T) {
	var checked error
	err := commtest.Run(3, func(c *comm.Comm) error {
		switch c.Rank() {
		case 0:
			if err := comm.Send(c, []int{0}, 1, 0); err != nil {
				return err
			}
			if _, err := comm.Recv(c, []int{0}, 1, 2); err != nil { // rank 1 has talked to 2
				return err
			}
			any, err := comm.Irecv(c, []int{0}, comm.AnySource, 9)
			if err != nil {
				return err
			}
			from2, err := comm.Irecv(c, []int{0}, 2, 9)
			if err != nil {
				return err
			}
			cause := errors.New("the launcher says so")
			comm.PeerLost(c, 2, cause)
			checked = errors.Join(
				lostErr(any.Wait()), lostErr(from2.Wait()),
				lostErr(comm.Recv(c, []int{0}, 2, 9)),
				lostErr(comm.Status{}, comm.Send(c, []int{1}, 2, 0)),
				lostErr(comm.Status{}, comm.Connect(c, 2)),
			)
			if comm.LinkKind(c, 2) != "none" {
				checked = errors.Join(checked, fmt.Errorf("a link to the lost rank exists: %s", comm.LinkKind(c, 2)))
			}
			c.Abort(9)
		case 1:
			if _, err := comm.Recv(c, []int{0}, 0, 0); err != nil {
				return err
			}
			if err := comm.Send(c, []int{0}, 2, 0); err != nil {
				return err
			}
			if err := comm.Send(c, []int{0}, 0, 2); err != nil {
				return err
			}
			_, err := comm.Recv(c, []int{0}, 0, 1) // until rank 0 aborts
			return err
		case 2:
			if _, err := comm.Recv(c, []int{0}, 1, 0); err != nil {
				return err
			}
			_, err := comm.Recv(c, []int{0}, 1, 1) // until rank 1 fails
			return err
		}
		return nil
	}, commtest.Timeout(30*time.Second))
	require.NoError(t, checked)
	var abort *commtest.AbortError
	require.ErrorAs(t, err, &abort)
	require.Equal(t, 9, abort.Code)
}

// lostErr checks that an operation failed with rank 2's loss.
func lostErr(_ comm.Status, err error) error {
	var pl *comm.PeerLostError
	if !errors.As(err, &pl) || pl.Rank != 2 {
		return fmt.Errorf("got %v, want rank 2 lost", err)
	}
	return nil
}
