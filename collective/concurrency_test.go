package collective

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

// TestDataMovementOnSplitsConcurrently runs data-movement collectives on two split
// communicators at once, from two goroutines of every rank, while a user
// AnySource/AnyTag receive is outstanding on the world: the collectives'
// traffic must neither mix nor satisfy that receive.
func TestDataMovementOnSplitsConcurrently(t *testing.T) {
	const p = 6
	onRanks(t, p, func(c *comm.Comm) error {
		me := c.Rank()
		user := []int{-1}
		ureq, err := comm.Irecv(c, user, comm.AnySource, comm.AnyTag)
		if err != nil {
			return err
		}
		parity, err := c.Split(me%2, me) // {0,2,4}, {1,3,5}
		if err != nil {
			return err
		}
		halves, err := c.Split(me/3, -me) // {2,1,0}, {5,4,3}
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, sub := range []*comm.Comm{parity, halves} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = mixedRounds(sub, 10*i)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if done, _, _ := ureq.Test(); done {
			return fmt.Errorf("the user's AnySource/AnyTag receive matched collective traffic: %v", user)
		}
		// An allgather on the world acts as a barrier: no rank sends the
		// user message below before every rank has checked its receive.
		if err := Allgather(c, []int{me}, make([]int, p)); err != nil {
			return err
		}
		// Now satisfy it: rank r sends to r+1 on the world.
		if err := comm.Send(c, []int{1000 + me}, (me+1)%p, 77); err != nil {
			return err
		}
		st, err := ureq.Wait()
		if err != nil {
			return err
		}
		left := (me - 1 + p) % p
		if st.Source != left || st.Tag != 77 || user[0] != 1000+left {
			return fmt.Errorf("user receive got %v from %d tag %d", user, st.Source, st.Tag)
		}
		return nil
	})
}

// mixedRounds runs a mix of data-movement collectives on c, checked.
func mixedRounds(c *comm.Comm, seed int) error {
	p := c.Size()
	for round := range 5 {
		s := seed + round
		if err := errors.Join(
			bcastCase[float64](c, "scatter_allgather", round%p, 1000, s),
			allgatherCase[int32](c, "bruck", 7, s, false),
			gatherCase[uint8](c, "binomial", (round+1)%p, 1000, s, false),
			scatterCase[complex128](c, "binomial", round%p, 7, s, false),
			alltoallCase[float64](c, "pairwise", 100, s, false),
		); err != nil {
			return err
		}
		// Non-blocking broadcasts overlapping one another.
		a, b := garbage[int32](100), garbage[int32](100)
		if c.Rank() == 0 {
			fillInput(a, s, 0)
		}
		if c.Rank() == p-1 {
			fillInput(b, s, p-1)
		}
		ra, err := Ibcast(c, a, 0)
		if err != nil {
			return err
		}
		rb, err := Ibcast(c, b, p-1)
		if err != nil {
			return err
		}
		if err := comm.WaitAll(ra, rb); err != nil {
			return err
		}
		if err := errors.Join(sameElems("ibcast a", a, inputOf[int32](100, s, 0)), sameElems("ibcast b", b, inputOf[int32](100, s, p-1))); err != nil {
			return err
		}
	}
	return nil
}

// TestDataMovementLarge runs every algorithm once on 10^6 elements on 3 ranks, and
// the broadcasts and allgathers (whose power-of-two paths differ) on 4,
// against the serial results. Bytes keep it quick under the race
// detector; the smaller tests cover the other types.
func TestDataMovementLarge(t *testing.T) {
	const n = 1_000_000
	for _, p := range []int{3, 4} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			onRanks(t, p, func(c *comm.Comm) error {
				var errs []error
				for _, alg := range Algorithms()["bcast"] {
					errs = append(errs, bcastCase[uint8](c, alg, 1, n, 1))
				}
				for _, alg := range Algorithms()["allgather"] {
					errs = append(errs, allgatherCase[uint8](c, alg, n/p, 2, false))
				}
				if p == 4 {
					return errors.Join(errs...)
				}
				for _, alg := range Algorithms()["gather"] {
					errs = append(errs, gatherCase[uint8](c, alg, p-1, n/p, 3, false))
				}
				for _, alg := range Algorithms()["scatter"] {
					errs = append(errs, scatterCase[uint8](c, alg, 1, n/p, 4, false))
				}
				for _, alg := range Algorithms()["alltoall"] {
					errs = append(errs, alltoallCase[uint8](c, alg, n/p, 5, false))
				}
				return errors.Join(errs...)
			})
		})
	}
}
