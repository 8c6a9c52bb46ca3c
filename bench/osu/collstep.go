package osu

import (
	"fmt"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

// root is the root of the rooted collectives, as in OSU.
const root = 0

// collStep holds one rank's buffers for a collective benchmark, allocated
// once at the largest size and written before any timing: bytes for the
// collectives that move data, float64 (all 1.0) for the reductions.
type collStep struct {
	c          *comm.Comm
	k          Kind
	send, recv []byte
	fsend      []float64
	frecv      []float64
}

// newCollStep allocates the buffers of benchmark k for sizes up to max
// bytes: per rank (Gather, Scatter, Allgather) or per pair (Alltoall) for
// the collectives that move blocks, so their buffers hold p blocks.
func newCollStep(c *comm.Comm, k Kind, max int) (*collStep, error) {
	if !k.Collective() {
		return nil, fmt.Errorf("benchmark %q is not a collective: %w", k, ErrOptions)
	}
	cs := &collStep{c: c, k: k}
	p := c.Size()
	switch k {
	case Allreduce, Reduce, ReduceScatter, ObjAllreduce:
		n := max / 8
		cs.fsend, cs.frecv = make([]float64, n), make([]float64, n)
		for i := range cs.fsend {
			cs.fsend[i] = 1
		}
	case Bcast:
		cs.send, _ = buffers(max, DataOSU)
	case Gather, Scatter, Allgather, Alltoall:
		cs.send, cs.recv = buffers(p*max, DataOSU)
	}
	return cs, nil
}

// at returns the step that runs the collective once at size bytes.
func (cs *collStep) at(size int) (func() error, error) {
	c, p := cs.c, cs.c.Size()
	n := size / 8 // float64 elements of the reductions
	switch cs.k {
	case Allreduce:
		return func() error { return collective.Allreduce(c, cs.fsend[:n], cs.frecv[:n], collective.Sum) }, nil
	case Reduce:
		return func() error { return collective.Reduce(c, cs.fsend[:n], cs.frecv[:n], collective.Sum, root) }, nil
	case ReduceScatter:
		counts := splitCounts(n, p)
		recv := cs.frecv[:counts[c.Rank()]]
		return func() error { return collective.ReduceScatter(c, cs.fsend[:n], recv, counts, collective.Sum) }, nil
	case ObjAllreduce:
		return func() error {
			_, err := collective.AllreduceObj(c, cs.fsend[:n], sumNew)
			return err
		}, nil
	case Bcast:
		return func() error { return collective.Bcast(c, cs.send[:size], root) }, nil
	case Barrier:
		return func() error { return collective.Barrier(c) }, nil
	case Gather:
		return func() error { return collective.Gather(c, cs.send[:size], cs.recv[:p*size], root) }, nil
	case Scatter:
		return func() error { return collective.Scatter(c, cs.send[:p*size], cs.recv[:size], root) }, nil
	case Allgather:
		return func() error { return collective.Allgather(c, cs.send[:size], cs.recv[:p*size]) }, nil
	case Alltoall:
		return func() error { return collective.Alltoall(c, cs.send[:p*size], cs.recv[:p*size]) }, nil
	}
	return nil, fmt.Errorf("benchmark %q: %w", cs.k, ErrOptions)
}

// splitCounts divides n elements over p ranks as osu_reduce_scatter does:
// n/p each, the first n%p ranks one more.
func splitCounts(n, p int) []int {
	counts := make([]int, p)
	for i := range counts {
		counts[i] = n / p
		if i < n%p {
			counts[i]++
		}
	}
	return counts
}

// sumNew is ObjAllreduce's operation: the element-wise sum of a and b in a
// new slice, leaving both alone, as NumPy's a + b does.
func sumNew(a, b []float64) []float64 {
	out := make([]float64, len(a))
	b = b[:len(a)] // every rank sends as many
	for i := range out {
		out[i] = a[i] + b[i]
	}
	return out
}
