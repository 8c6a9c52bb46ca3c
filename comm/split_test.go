package comm_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/internal/commhook"
)

func TestSplitOrdersByKeyThenRank(t *testing.T) {
	for n := 1; n <= 7; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			run(t, n, func(c *comm.Comm) error {
				r := c.Rank()
				// Even and odd ranks split; the key reverses the order.
				sub, err := c.Split(r%2, -r)
				if err != nil {
					return err
				}
				members := (n + 1 - r%2) / 2
				if err := check(sub.Size() == members && sub.Rank() == members-1-r/2, "rank %d: sub rank %d of %d", r, sub.Rank(), sub.Size()); err != nil {
					return err
				}
				// A ring inside the split reaches the same-parity neighbours.
				p, sr := sub.Size(), sub.Rank()
				in := []int{-1}
				if _, err := comm.Sendrecv(sub, []int{r}, (sr+1)%p, 0, in, (sr-1+p)%p, 0); err != nil {
					return err
				}
				left := sub.WorldRank((sr - 1 + p) % p)
				return check(in[0] == left && left%2 == r%2, "rank %d got %d from world rank %d", r, in[0], left)
			})
		})
	}
}

func TestSplitUndefined(t *testing.T) {
	run(t, 3, func(c *comm.Comm) error {
		color := 0
		if c.Rank() == 1 {
			color = comm.Undefined
		}
		sub, err := c.Split(color, 0)
		if err != nil {
			return err
		}
		if c.Rank() == 1 {
			return check(sub == nil && sub.Size() == 0, "undefined color gave %v", sub)
		}
		return check(sub.Size() == 2, "size %d", sub.Size())
	})
}

// TestContextsIsolate sends the same (source, tag) on the world, a dup and
// the collective view: each receive sees only its own communicator's message.
func TestContextsIsolate(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		dup, err := c.Dup()
		if err != nil {
			return err
		}
		comms := []*comm.Comm{c, dup, commhook.CollectiveView(c), commhook.CollectiveView(dup)}
		if c.Rank() == 0 {
			// Send in reverse so that arrival order cannot explain the result.
			for i := len(comms) - 1; i >= 0; i-- {
				if err := comm.Send(comms[i], []int{i}, 1, 0); err != nil {
					return err
				}
			}
			return nil
		}
		for i, cc := range comms {
			buf := []int{-1}
			if _, err := comm.Recv(cc, buf, comm.AnySource, comm.AnyTag); err != nil {
				return err
			}
			if err := check(buf[0] == i, "communicator %d received communicator %d's message", i, buf[0]); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestConcurrentSplits creates communicators from two goroutines per rank
// at once, on different parents: context agreement must not hand one id to
// two live communicators of a process.
func TestConcurrentSplits(t *testing.T) {
	run(t, 4, func(c *comm.Comm) error {
		a, err := c.Dup()
		if err != nil {
			return err
		}
		b, err := c.Dup()
		if err != nil {
			return err
		}
		errs := make(chan error, 2)
		made := make([][]*comm.Comm, 2)
		for i, parent := range []*comm.Comm{a, b} {
			go func() {
				for range 5 {
					s, err := parent.Split(parent.Rank()%2, 0)
					if err != nil {
						errs <- err
						return
					}
					made[i] = append(made[i], s)
				}
				errs <- nil
			}()
		}
		if err := errors.Join(<-errs, <-errs); err != nil {
			return err
		}
		// Every communicator made carries its own traffic: exchange on all.
		for i, list := range made {
			for j, s := range list {
				p, r := s.Size(), s.Rank()
				in := []int{-1}
				if _, err := comm.Sendrecv(s, []int{100*i + j}, (r+1)%p, 0, in, (r-1+p)%p, 0); err != nil {
					return err
				}
				if err := check(in[0] == 100*i+j, "communicator %d/%d got %d", i, j, in[0]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
