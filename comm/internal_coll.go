package comm

import (
	"errors"
	"fmt"
	"unsafe"
)

// The runtime needs a barrier (Finalize), an allgather (Split, Dup) and an
// exchange with every member (Free) before package collective exists above
// it. These run on the collective context with negative tags, so they never
// meet user or collective traffic.

// barrier is a dissemination barrier: ⌈log2 p⌉ rounds of empty messages.
func (c *Comm) barrier() error {
	p := c.Size()
	for d := 1; d < p; d *= 2 {
		to, from := (c.rank+d)%p, (c.rank-d+p)%p
		if _, err := c.sendrecv(c.ctx, nil, to, tagBarrier, nil, from, tagBarrier); err != nil {
			return fmt.Errorf("barrier: %w", err)
		}
	}
	return nil
}

// allgatherInt64 gathers vals from every rank, in rank order, with a ring:
// p-1 steps, each passing on the block received in the step before.
func (c *Comm) allgatherInt64(vals ...int64) ([]int64, error) {
	p, k := c.Size(), len(vals)
	out := make([]int64, p*k)
	copy(out[c.rank*k:], vals)
	right, left := (c.rank+1)%p, (c.rank-1+p)%p
	for step := range p - 1 {
		sb := (c.rank - step + p) % p
		rb := (c.rank - step - 1 + p) % p
		send := int64Bytes(out[sb*k : (sb+1)*k])
		recv := int64Bytes(out[rb*k : (rb+1)*k])
		if _, err := c.sendrecv(c.ctx, send, right, tagAllgather, recv, left, tagAllgather); err != nil {
			return nil, fmt.Errorf("allgather: %w", err)
		}
	}
	return out, nil
}

func int64Bytes(s []int64) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 8*len(s))
}

// exchangeInt64 sends v to every rank of c, itself included, and returns
// what each sent, in rank order. Each pair's frames arrive in the order
// they were written, so when it returns, every message that a member sent
// to this rank on any context before calling it has arrived.
func (c *Comm) exchangeInt64(tag int, v int64) ([]int64, error) {
	p := c.Size()
	out := make([]int64, p)
	send := []int64{v}
	reqs := make([]Request, 2*p)
	for i := range p {
		from := (c.rank - i + p) % p
		c.irecv(c.ctx, int64Bytes(out[from:from+1]), from, tag, &reqs[i])
	}
	for i := range p {
		c.isend(c.ctx, int64Bytes(send), (c.rank+i)%p, tag, false, &reqs[p+i])
	}
	var errs []error
	for i := range reqs {
		if _, err := reqs[i].Wait(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("exchange: %w", err)
	}
	return out, nil
}
