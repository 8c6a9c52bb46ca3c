package comm

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// Context ids. Each communicator owns an even id for point-to-point traffic
// and the odd id after it for collectives. Ids need only be unique within a
// process (a message on id X reaches only members of one communicator with
// id X), so the members of a parent agree on a new id by proposing their
// lowest free one and taking the maximum, retrying if that maximum is busy
// at some member (MPICH's scheme, with integers instead of bit masks).
type contextTable struct {
	mu   sync.Mutex
	used map[uint32]bool
}

func (t *contextTable) init() {
	t.used = map[uint32]bool{worldContext: true}
}

// reserve marks and returns the lowest free even id ≥ floor.
func (t *contextTable) reserve(floor uint32) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := floor &^ 1
	for t.used[id] {
		id += 2
	}
	t.used[id] = true
	return id
}

// claim marks id as taken by the caller, who already holds mine; it fails
// if id is in use by something else.
func (t *contextTable) claim(id, mine uint32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id == mine {
		return true
	}
	if t.used[id] {
		return false
	}
	t.used[id] = true
	return true
}

func (t *contextTable) release(id uint32) {
	t.mu.Lock()
	delete(t.used, id)
	t.mu.Unlock()
}

// Internal tags on the collective context. Package collective uses tags ≥ 0
// there; AnyTag never matches negative tags.
const (
	tagBarrier   = -2
	tagAllgather = -3
	tagFree      = -4
)

// agreeContext runs the id agreement over c's members. It is collective.
// The first round also gathers vals from every member (Split's colors and
// keys ride along, saving a round): gathered holds each member's vals in
// rank order.
func (c *Comm) agreeContext(vals ...int64) (id uint32, gathered []int64, err error) {
	t := &c.w.ctxs
	k := len(vals) + 1
	floor := uint32(2)
	for first := true; ; first = false {
		mine := t.reserve(floor)
		props, err := c.coll.allgatherInt64(append(vals, int64(mine))...)
		if err != nil {
			t.release(mine)
			return 0, nil, err
		}
		if first {
			gathered = make([]int64, 0, len(vals)*c.Size())
			for r := range c.Size() {
				gathered = append(gathered, props[r*k:r*k+len(vals)]...)
			}
		}
		var top int64
		for r := range c.Size() {
			top = max(top, props[r*k+k-1])
		}
		id := uint32(top)
		ok := t.claim(id, mine)
		if mine != id {
			t.release(mine)
		}
		okInt := int64(0)
		if ok {
			okInt = 1
		}
		oks, err := c.coll.allgatherInt64(okInt)
		if err != nil {
			if ok {
				t.release(id)
			}
			return 0, nil, err
		}
		if slices.Min(oks) == 1 {
			return id, gathered, nil
		}
		if ok {
			t.release(id)
		}
		floor = id + 2
	}
}

// Split partitions c by color: the ranks that pass the same color form a
// new communicator, ordered by key (any int) and then by rank in c. Color
// Undefined returns a nil communicator. Collective over c. Free the new
// communicator when done with it.
func (c *Comm) Split(color, key int) (*Comm, error) {
	if c.profiled() {
		defer c.prof.commCall(opSplit, c, c.prof.tick())
	}
	return c.split(color, key)
}

// split is Split, which the calls that make a communicator through it
// (CartCreate, CartSub) use so that the profile counts them once.
func (c *Comm) split(color, key int) (*Comm, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if color < 0 && color != Undefined {
		return nil, fmt.Errorf("comm: split color %d: must be ≥ 0 or Undefined: %w", color, ErrArg)
	}
	id, pairs, err := c.agreeContext(int64(color), int64(key))
	if err != nil {
		return nil, fmt.Errorf("comm: split: %w", err)
	}
	if color == Undefined {
		c.w.ctxs.release(id)
		return nil, nil
	}
	var members []int // ranks of c with our color
	for r := range c.Size() {
		if pairs[2*r] == int64(color) {
			members = append(members, r)
		}
	}
	slices.SortStableFunc(members, func(a, b int) int { return cmp.Compare(pairs[2*a+1], pairs[2*b+1]) })
	group := make([]int, len(members))
	rank := -1
	for i, r := range members {
		group[i] = c.group[r]
		if r == c.rank {
			rank = i
		}
	}
	return c.w.newComm(id, group, rank), nil
}

// Dup returns a communicator with c's group and ranks and a new context:
// libraries dup the user's communicator so their traffic never matches the
// user's. A Cartesian topology (CartCreate) is kept. Collective over c.
// Free the new communicator when done with it.
func (c *Comm) Dup() (*Comm, error) {
	if c.profiled() {
		defer c.prof.commCall(opDup, c, c.prof.tick())
	}
	if err := c.usable(); err != nil {
		return nil, err
	}
	id, _, err := c.agreeContext()
	if err != nil {
		return nil, fmt.Errorf("comm: dup: %w", err)
	}
	d := c.w.newComm(id, slices.Clone(c.group), c.rank)
	d.cart = c.cart // MPI_Comm_dup keeps the topology; it is immutable
	return d, nil
}
