package collective

import "github.com/spmd-go/spmd/comm"

// Allreduce by a ring (Patarasuk & Yuan; MPICH's allreduce_intra_ring,
// Gloo's and Open MPI's segmented ring): the vector is cut into p blocks.
// Reduce-scatter: in step s = 0 … p−2 rank r sends block r−s to its right
// neighbour and combines block r−s−1, received from its left, into its own
// copy; after p−1 steps rank r holds block r+1 reduced over all ranks.
// Allgather: p−1 more steps pass the reduced blocks around the ring.
// Each block is reduced on one path and then copied, so every rank gets the
// same bits; but the path is cyclic (block b is combined in the rank order
// b+1, b+2, …, b), so the operation must be commutative.
//
// Pipelining: each block travels in segments of ringSegmentBytes. The
// block a rank reduces in step s is the one it sends in step s+1, so each
// segment goes on to the right neighbour as soon as it is reduced, while
// the next is still arriving: transfer and reduction overlap.
//
// Cost: 2(p−1)α + 2n(p−1)/p·β + n(p−1)/p·γ (times the segment count in α).
// The bandwidth term is optimal and every message goes to a neighbour; it
// needs no fold when p is not a power of two. Best for long vectors.

// ringSegmentBytes is the pipelining unit: the TCP eager limit, so that
// segments go without a rendezvous round trip. To be tuned with spmdbench.
const ringSegmentBytes = comm.DefaultEagerLimit

func (x *reduction[T]) allreduceRing(acc []T) error {
	p, r := x.size, x.rank
	right, left := (r+1)%p, (r-1+p)%p
	b := vecBlocks{n: len(acc), parts: p}
	maxBlock := b.at(1) // block 0 is the largest
	segElems := max(1, ringSegmentBytes/comm.SizeOf[T]())
	nseg := max(1, (maxBlock+segElems-1)/segElems)
	tmp := x.scratch(2 * maxBlock)
	at := func(v []T, i int) []T { i = (i%p + p) % p; return v[b.at(i):b.at(i+1)] }
	block := func(i int) []T { return at(acc, i) }
	own := x.mine(acc) // this rank's contribution: acc, or the pending send buffer

	ring := &ringPipe{nseg: nseg, right: right, left: left}
	defer ring.drain()

	// Reduce-scatter: send own block r, then for each step receive a
	// block's segments, reduce each and pass it on.
	if err := x.ringSendAll(ring, at(own, r), roleCore); err != nil {
		return err
	}
	for s := range p - 1 {
		blk := block(r - s - 1)
		in := tmp[(s%2)*maxBlock:][:len(blk)]
		if err := x.ringStep(ring, blk, at(own, r-s-1), in, s < p-2, roleCore); err != nil {
			return err
		}
	}
	if err := ring.waitSends(); err != nil {
		return err
	}
	// Every block but r now holds a partial result in acc, and block r is
	// overwritten below: the send buffer is no longer read.
	x.src = nil
	// Allgather: send the block reduced here, then receive each block in
	// place and pass it on.
	if err := x.ringSendAll(ring, block(r+1), roleGather); err != nil {
		return err
	}
	for s := range p - 1 {
		if err := x.ringStep(ring, block(r-s), nil, nil, s < p-2, roleGather); err != nil {
			return err
		}
	}
	return ring.waitSends()
}

// ringPipe is the state of the ring's segment pipeline: the requests in
// flight.
type ringPipe struct {
	nseg        int
	right, left int
	sends       []*comm.Request
	recvs       []*comm.Request
}

// ringSendAll starts sending blk's segments to the right.
func (x *reduction[T]) ringSendAll(g *ringPipe, blk []T, role int) error {
	sb := vecBlocks{n: len(blk), parts: g.nseg}
	for j := range g.nseg {
		if err := x.ringSend(g, blk[sb.at(j):sb.at(j+1)], role); err != nil {
			return err
		}
	}
	return nil
}

func (x *reduction[T]) ringSend(g *ringPipe, seg []T, role int) error {
	req, err := isendTo(&x.call, seg, g.right, role)
	if err != nil {
		return err
	}
	g.sends = append(g.sends, req)
	return nil
}

// ringStep receives blk's segments from the left: into in, to be combined
// with own (this rank's contribution to blk: blk itself or the pending send
// buffer's block) into blk, when in is non-nil; straight into blk
// otherwise. With forward it passes each finished segment on to the right.
func (x *reduction[T]) ringStep(g *ringPipe, blk, own, in []T, forward bool, role int) error {
	sb := vecBlocks{n: len(blk), parts: g.nseg}
	dst := blk
	if in != nil {
		dst = in
	}
	g.recvs = g.recvs[:0]
	for j := range g.nseg {
		req, err := irecvFrom(&x.call, dst[sb.at(j):sb.at(j+1)], g.left, role)
		if err != nil {
			return err
		}
		g.recvs = append(g.recvs, req)
	}
	for j, req := range g.recvs {
		st, err := req.Wait()
		g.recvs[j] = nil
		seg := blk[sb.at(j):sb.at(j+1)]
		if err := x.received(st, err, len(seg)*comm.SizeOf[T](), g.left); err != nil {
			return err
		}
		if in != nil {
			if err := x.combineInto(seg, own[sb.at(j):sb.at(j+1)], in[sb.at(j):sb.at(j+1)], true); err != nil {
				return err
			}
		}
		if forward {
			if err := x.ringSend(g, seg, role); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *ringPipe) waitSends() error {
	err := comm.WaitAll(g.sends...)
	clear(g.sends)
	g.sends = g.sends[:0]
	return err
}

// drain ends whatever an error left in flight, so that no receive still
// writes into the caller's buffer after the call returns.
func (g *ringPipe) drain() {
	for _, req := range g.recvs {
		if req != nil {
			_ = req.Cancel()
			_, _ = req.Wait()
		}
	}
	_ = comm.WaitAll(g.sends...)
}
