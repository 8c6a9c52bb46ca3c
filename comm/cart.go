package comm

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
)

// ErrTopology: a Cartesian operation on a communicator that has no
// Cartesian topology (one not made by CartCreate, CartSub or Dup of one).
var ErrTopology = errors.New("communicator has no Cartesian topology")

// cartTopology is the grid a communicator's ranks are laid out on. It is
// immutable once attached, so communicators may share it (Dup does).
// Invariants: len(dims) == len(periods) == len(strides); every dims[i] ≥ 1;
// the product of dims is the communicator's size; strides[i] is the
// product of dims[i+1:] (row-major: the last dimension varies fastest).
type cartTopology struct {
	dims    []int
	periods []bool
	strides []int
}

func newCartTopology(dims []int, periods []bool) *cartTopology {
	t := &cartTopology{dims: slices.Clone(dims), periods: slices.Clone(periods), strides: make([]int, len(dims))}
	stride := 1
	for i := len(dims) - 1; i >= 0; i-- {
		t.strides[i] = stride
		stride *= dims[i]
	}
	return t
}

// coord returns coordinate i of rank r.
func (t *cartTopology) coord(r, i int) int { return r / t.strides[i] % t.dims[i] }

// CartCreate makes a communicator whose ranks are laid out on a grid of
// shape dims, periodic (wrapping around) in the dimensions where periods
// is true (MPI_Cart_create). Ranks are numbered in row-major order, the
// last dimension varying fastest, as in MPI: on a 3×2 grid rank 3 has
// coordinates (1, 1). The first prod(dims) ranks of c join the grid, in
// their order in c; the others get a nil communicator (MPI_COMM_NULL) and
// a nil error. Collective over c: every rank must pass the same dims and
// periods.
//
// reorder permits MPI to renumber ranks to fit the machine; spmd keeps
// c's order whatever reorder says, which MPI allows, because every rank of
// a host already talks over shared memory and renumbering would only
// surprise programs that index data by rank of c.
//
// Use DimsCreate to choose dims for a process count. The result has a new
// context, like Split's; Dup of it keeps the topology.
//
// Errors: nil c (ErrComm); len(periods) != len(dims), an entry of dims
// below 1, or more grid points than ranks (ErrArg); arguments that differ
// between ranks (ErrArg, on every rank: they are compared before any
// communicator is made).
func CartCreate(c *Comm, dims []int, periods []bool, reorder bool) (*Comm, error) {
	if c.profiled() {
		defer c.prof.commCall(opCartCreate, c, c.prof.tick())
	}
	if err := c.usable(); err != nil {
		return nil, err
	}
	size, argErr := cartCheckCreate(c.Size(), dims, periods)
	if err := c.agreeArgs("cart create", argErr, cartFingerprint(dims, periods)); err != nil {
		return nil, err
	}
	color := Undefined
	if c.rank < size {
		color = 0
	}
	g, err := c.split(color, c.rank)
	if err != nil {
		return nil, fmt.Errorf("comm: cart create: %w", err)
	}
	if g == nil {
		return nil, nil
	}
	g.cart = newCartTopology(dims, periods)
	return g, nil
}

// cartCheckCreate validates CartCreate's arguments locally and returns the
// grid's size.
func cartCheckCreate(ranks int, dims []int, periods []bool) (int, error) {
	if len(periods) != len(dims) {
		return 0, fmt.Errorf("comm: cart create: %d periods for %d dims: %w", len(periods), len(dims), ErrArg)
	}
	size := 1
	for i, d := range dims {
		if d < 1 {
			return 0, fmt.Errorf("comm: cart create: dims[%d] = %d: %w", i, d, ErrArg)
		}
		if size > ranks/d {
			return 0, fmt.Errorf("comm: cart create: grid %v has more points than the %d ranks: %w", dims, ranks, ErrArg)
		}
		size *= d
	}
	return size, nil
}

// cartFingerprint hashes a collective call's arguments so that ranks can
// compare them with one small allgather.
func cartFingerprint(ints []int, flags []bool) int64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v int) {
		for i := range b {
			b[i] = byte(uint64(v) >> (8 * i))
		}
		h.Write(b[:])
	}
	put(len(ints))
	for _, v := range ints {
		put(v)
	}
	put(len(flags))
	for _, f := range flags {
		if f {
			put(1)
		} else {
			put(0)
		}
	}
	return int64(h.Sum64())
}

// agreeArgs makes a collective call's argument errors collective: every
// rank contributes whether its arguments were valid and their fingerprint;
// if any rank's were invalid, or the fingerprints differ, every rank
// returns an error (its own one if it had one) and no rank goes on to
// communicate with ranks that have given up.
func (c *Comm) agreeArgs(op string, argErr error, fp int64) error {
	bad := int64(0)
	if argErr != nil {
		bad = 1
	}
	all, err := c.coll.allgatherInt64(bad, fp)
	if err != nil {
		return fmt.Errorf("comm: %s: %w", op, err)
	}
	if argErr != nil {
		return argErr
	}
	for r := range c.Size() {
		if all[2*r] != 0 {
			return fmt.Errorf("comm: %s: rank %d passed invalid arguments: %w", op, r, ErrArg)
		}
		if all[2*r+1] != fp {
			return fmt.Errorf("comm: %s: ranks %d and %d passed different arguments: %w", op, c.rank, r, ErrArg)
		}
	}
	return nil
}

// topology returns c's grid, or an error wrapping ErrTopology.
func (c *Comm) topology(op string) (*cartTopology, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if c.cart == nil {
		return nil, fmt.Errorf("comm: %s: %v: %w", op, c, ErrTopology)
	}
	return c.cart, nil
}

// CartDims returns the shape and periodicity of c's grid, as new slices,
// and ok = true; ok is false (and the slices nil) when c is nil or has no
// Cartesian topology (MPI_Cartdim_get and MPI_Cart_get without the
// coordinates: use CartCoords(c.Rank()) for those). A freed communicator
// has none.
func (c *Comm) CartDims() (dims []int, periods []bool, ok bool) {
	if c == nil || c.cart == nil || c.freed.Load() {
		return nil, nil, false
	}
	return slices.Clone(c.cart.dims), slices.Clone(c.cart.periods), true
}

// CartCoords returns the grid coordinates of rank (MPI_Cart_coords).
// Errors: no topology (ErrTopology), rank outside c (ErrRank).
func (c *Comm) CartCoords(rank int) ([]int, error) {
	t, err := c.topology("cart coords")
	if err != nil {
		return nil, err
	}
	if rank < 0 || rank >= c.Size() {
		return nil, fmt.Errorf("comm: cart coords of rank %d in a communicator of %d: %w", rank, c.Size(), ErrRank)
	}
	coords := make([]int, len(t.dims))
	for i := range coords {
		coords[i] = t.coord(rank, i)
	}
	return coords, nil
}

// CartRank returns the rank at grid coordinates coords (MPI_Cart_rank).
// In a periodic dimension any coordinate is accepted and wraps around (−1
// is the last position); in a non-periodic one it must lie in
// [0, dims[i]).
//
// Errors: no topology (ErrTopology); the wrong number of coordinates or a
// non-periodic coordinate out of range (ErrArg).
func (c *Comm) CartRank(coords []int) (int, error) {
	t, err := c.topology("cart rank")
	if err != nil {
		return 0, err
	}
	if len(coords) != len(t.dims) {
		return 0, fmt.Errorf("comm: cart rank: %d coordinates on a %d-dimensional grid: %w", len(coords), len(t.dims), ErrArg)
	}
	rank := 0
	for i, x := range coords {
		x, ok := t.wrap(i, x)
		if !ok {
			return 0, fmt.Errorf("comm: cart rank: coordinate %d = %d outside non-periodic dimension of %d: %w", i, coords[i], t.dims[i], ErrArg)
		}
		rank += x * t.strides[i]
	}
	return rank, nil
}

// wrap maps coordinate x of dimension i into [0, dims[i]) if the
// dimension is periodic; ok is false if it is not and x is outside.
func (t *cartTopology) wrap(i, x int) (int, bool) {
	n := t.dims[i]
	if x >= 0 && x < n {
		return x, true
	}
	if !t.periods[i] {
		return 0, false
	}
	x %= n
	if x < 0 {
		x += n
	}
	return x, true
}

// CartShift returns the ranks disp steps away from the caller along
// dimension dim (MPI_Cart_shift): dest is at coordinate +disp, source at
// −disp, so that Sendrecv(c, out, dest, …, in, source, …) shifts data by
// disp along dim on every rank at once. Beyond the edge of a non-periodic
// dimension the rank is ProcNull, which point-to-point calls treat as a
// no-op; periodic dimensions wrap. disp 0 gives the caller's own rank
// twice.
//
// Errors: no topology (ErrTopology); dim outside [0, len(dims)) (ErrArg).
func (c *Comm) CartShift(dim, disp int) (source, dest int, err error) {
	t, err := c.topology("cart shift")
	if err != nil {
		return 0, 0, err
	}
	if dim < 0 || dim >= len(t.dims) {
		return 0, 0, fmt.Errorf("comm: cart shift: dimension %d of a %d-dimensional grid: %w", dim, len(t.dims), ErrArg)
	}
	// Bring disp into (−n, n) first, so that neither −disp nor x+disp
	// can overflow whatever the caller passes.
	n := t.dims[dim]
	switch {
	case t.periods[dim]:
		disp %= n
	case disp >= n || disp <= -n:
		return ProcNull, ProcNull, nil
	}
	return t.shift(c.rank, dim, -disp), t.shift(c.rank, dim, disp), nil
}

// shift returns the rank disp steps from rank r along dim, or ProcNull;
// |disp| < dims[dim].
func (t *cartTopology) shift(r, dim, disp int) int {
	x := t.coord(r, dim)
	y, ok := t.wrap(dim, x+disp)
	if !ok {
		return ProcNull
	}
	return r + (y-x)*t.strides[dim]
}

// CartSub splits c's grid into lower-dimensional grids (MPI_Cart_sub):
// the dimensions where remain is true are kept, and the ranks that share
// their coordinates in the others form one communicator, a Cartesian one
// with the kept dimensions (and their periods), ranks in the same
// row-major order. On a 2×3×4 grid, remain = [true false true] gives
// three 2×4 grids; remain all false gives every rank a grid of its own, of
// no dimensions. Collective over c.
//
// Errors: no topology (ErrTopology); len(remain) != len(dims) (ErrArg);
// remain differing between ranks (ErrArg, on every rank).
func (c *Comm) CartSub(remain []bool) (*Comm, error) {
	if c.profiled() {
		defer c.prof.commCall(opCartSub, c, c.prof.tick())
	}
	t, err := c.topology("cart sub")
	if err != nil {
		return nil, err
	}
	var argErr error
	if len(remain) != len(t.dims) {
		argErr = fmt.Errorf("comm: cart sub: %d flags for a %d-dimensional grid: %w", len(remain), len(t.dims), ErrArg)
	}
	if err := c.agreeArgs("cart sub", argErr, cartFingerprint(nil, remain)); err != nil {
		return nil, err
	}
	// color: the row-major index of the caller's coordinates in the
	// dropped dimensions; key: the index in the kept ones.
	color, key := 0, 0
	var dims []int
	var periods []bool
	for i, keep := range remain {
		x := t.coord(c.rank, i)
		if keep {
			key = key*t.dims[i] + x
			dims = append(dims, t.dims[i])
			periods = append(periods, t.periods[i])
		} else {
			color = color*t.dims[i] + x
		}
	}
	g, err := c.split(color, key)
	if err != nil {
		return nil, fmt.Errorf("comm: cart sub: %w", err)
	}
	g.cart = newCartTopology(dims, periods)
	return g, nil
}
