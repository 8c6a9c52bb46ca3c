package grid

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

// Option changes what a Halo exchanges (NewHalo's options).
type Option struct{ apply func(*haloOptions) }

type haloOptions struct {
	corners bool
}

// Corners makes the Halo fill the edge and corner regions of the ghost
// layer too, from the diagonal neighbours (3ⁿ−1 neighbours in n
// dimensions instead of 2n), as stencils that read diagonal points need
// (a 9-point 2-D stencil, a 27-point 3-D one). Without it only the faces
// are exchanged, which is all that star stencils read.
func Corners() Option { return Option{func(o *haloOptions) { o.corners = true }} }

// maxHaloDims bounds the number of dimensions: every direction of the
// neighbourhood gets a tag of its own, 3ⁿ−1 of them, and tags are below
// 2³¹.
const maxHaloDims = 19

// Halo exchanges the ghost layers of a local block of a grid distributed
// over a Cartesian communicator. The local array has the shape of the
// block plus width ghost points on either side of every dimension:
// shape[i] = local[i] + 2*width, row-major. Its interior, the block the
// rank owns, is [width, width+local[i]) in each dimension.
//
// An exchange sends, to the neighbour on each side, the width layers of
// the interior next to that side, and receives the neighbour's into the
// ghost layer on that side; with Corners it does the same with the
// diagonal neighbours. Where a non-periodic dimension ends there is no
// neighbour: those ghost points are left as they are (put the boundary
// condition there).
//
// Start packs the outgoing layers and posts every receive and send, Wait
// completes them and unpacks into the ghost layers, so a program can
// update the points that need no ghost in between:
//
//	h.Start(u)
//	update(unew, u, inner) // points at least width away from every edge
//	if err := h.Wait(); err != nil { … }
//	update(unew, u, rim)   // the rest, which read the ghosts
//
// Between Start and Wait the interior may be read and written freely (what
// is sent was copied at Start) and the ghost layer must not be used. The
// buffers are allocated once by NewHalo; an exchange allocates only the
// requests the point-to-point layer returns.
//
// A Halo is for one goroutine at a time. Its messages travel on a
// communicator of its own (a Dup made by NewHalo), so they never match
// the program's or other Halos' messages; Free releases it.
type Halo[T comm.Scalar] struct {
	c     *comm.Comm // the Halo's own duplicate of the grid communicator
	local []int
	width int
	shape []int // local + 2*width
	size  int   // elements of the array: the product of shape
	links []haloLink[T]
	data  []T // the array of the exchange in flight; nil when idle
}

// haloLink is the exchange with the neighbour in one direction d ∈
// {−1,0,1}ⁿ∖{0}: what goes out from the interior next to side d and what
// comes in to the ghost region on side d have the same extent, count.
type haloLink[T comm.Scalar] struct {
	dir                  []int
	peer                 int // rank in c, or comm.ProcNull
	sendTag, recvTag     int
	sendStart, recvStart []int
	count                []int
	sendBuf, recvBuf     []T
	sendReq, recvReq     *comm.Request
	report               []int // NewHalo's check: the neighbour's report
}

// NewHalo prepares halo exchanges for a block of shape local with ghost
// width width on every side, on the Cartesian communicator c (see
// comm.CartCreate). Collective over c: every rank passes its own block's
// shape (blocks may differ between ranks, as when a grid does not divide
// evenly) and the same width.
//
// NewHalo checks the decomposition with the neighbours before returning:
// blocks that touch must agree on the extents of the face between them,
// and a block with a neighbour along a dimension must be at least width
// thick there (a ghost layer comes from the neighbour's interior only).
//
// Errors, returned on every rank alike: c without a Cartesian topology
// (comm.ErrTopology) or nil (comm.ErrComm); on any rank, len(local) not
// the grid's dimension count, a negative extent, width < 1, more than 19
// dimensions, a block too thin for width, or a face that does not match
// the neighbour's (comm.ErrArg).
func NewHalo[T comm.Scalar](c *comm.Comm, local []int, width int, opts ...Option) (*Halo[T], error) {
	var o haloOptions
	for _, opt := range opts {
		if opt.apply != nil {
			opt.apply(&o)
		}
	}
	if c == nil {
		return nil, fmt.Errorf("grid: new halo: nil communicator: %w", comm.ErrComm)
	}
	dims, _, ok := c.CartDims()
	if !ok {
		return nil, fmt.Errorf("grid: new halo: %v: %w", c, comm.ErrTopology)
	}
	n := len(dims)
	if n > maxHaloDims {
		return nil, fmt.Errorf("grid: new halo: %d dimensions, at most %d: %w", n, maxHaloDims, comm.ErrArg)
	}
	d, err := c.Dup()
	if err != nil {
		return nil, fmt.Errorf("grid: new halo: %w", err)
	}
	h := &Halo[T]{c: d, local: slices.Clone(local), width: width}
	argErr := h.checkArgs(n)
	if argErr == nil {
		h.shape = make([]int, n)
		h.size = 1
		for i, l := range local {
			h.shape[i] = l + 2*width
			h.size *= h.shape[i]
		}
	}
	if err := h.connect(n, o.corners); err != nil {
		return nil, err
	}
	// Tell the neighbours our block, check theirs, and agree on the
	// outcome so that every rank returns an error if any must.
	bad := h.checkNeighbours(n, argErr)
	if bad != nil && argErr == nil {
		argErr = bad
	}
	flag := []int{-1}
	if argErr != nil {
		flag[0] = c.Rank()
	}
	if err := collective.Allreduce(c, nil, flag, collective.Max); err != nil {
		return nil, fmt.Errorf("grid: new halo: %w", err)
	}
	if argErr != nil {
		return nil, argErr
	}
	if flag[0] >= 0 {
		return nil, fmt.Errorf("grid: new halo: rank %d's block or width does not fit its neighbours: %w", flag[0], comm.ErrArg)
	}
	for i := range h.links {
		l := &h.links[i]
		l.report = nil
		if l.peer != comm.ProcNull {
			m := prod(l.count)
			l.sendBuf, l.recvBuf = make([]T, m), make([]T, m)
		}
	}
	return h, nil
}

// checkArgs validates the caller's own arguments.
func (h *Halo[T]) checkArgs(n int) error {
	if len(h.local) != n {
		return fmt.Errorf("grid: new halo: block shape %v on a %d-dimensional grid: %w", h.local, n, comm.ErrArg)
	}
	if h.width < 1 {
		return fmt.Errorf("grid: new halo: ghost width %d: %w", h.width, comm.ErrArg)
	}
	for _, l := range h.local {
		if l < 0 {
			return fmt.Errorf("grid: new halo: block shape %v: %w", h.local, comm.ErrArg)
		}
	}
	return nil
}

// connect finds the neighbour in every direction and the regions that
// travel to and from it. Directions are numbered in base 3 (digit i is
// dir[i]+1, dimension 0 most significant), and a message travelling in
// direction d carries d's number as its tag: the receiver, whose
// neighbour lies in direction −d, expects that tag. The same rank can be
// the neighbour in several directions (a periodic dimension of extent 1
// or 2); the tags keep those messages apart.
func (h *Halo[T]) connect(n int, corners bool) error {
	me, err := h.c.CartCoords(h.c.Rank())
	if err != nil {
		return fmt.Errorf("grid: new halo: %w", err)
	}
	total := 1
	for range n {
		total *= 3
	}
	at := make([]int, n)
	for code := range total {
		dir := make([]int, n)
		nonzero := 0
		for i, rest := n-1, code; i >= 0; i, rest = i-1, rest/3 {
			dir[i] = rest%3 - 1
			if dir[i] != 0 {
				nonzero++
			}
		}
		if nonzero == 0 || (!corners && nonzero > 1) {
			continue
		}
		for i := range at {
			at[i] = me[i] + dir[i]
		}
		peer, err := h.c.CartRank(at)
		if err != nil {
			peer = comm.ProcNull // beyond a non-periodic edge
		}
		h.links = append(h.links, haloLink[T]{
			dir: dir, peer: peer,
			sendTag: code, recvTag: total - 1 - code, // −d's number
		})
	}
	return nil
}

// regions fills in a link's send and receive regions for the caller's
// block; it needs valid arguments.
func (h *Halo[T]) regions(l *haloLink[T]) {
	n, w := len(h.local), h.width
	l.sendStart, l.recvStart, l.count = make([]int, n), make([]int, n), make([]int, n)
	for i, di := range l.dir {
		switch di {
		case -1:
			l.sendStart[i], l.recvStart[i], l.count[i] = w, 0, w
		case 1:
			l.sendStart[i], l.recvStart[i], l.count[i] = h.local[i], w+h.local[i], w
		default:
			l.sendStart[i], l.recvStart[i], l.count[i] = w, w, h.local[i]
		}
	}
}

// checkNeighbours swaps block shapes and widths with every neighbour and
// returns an error if a face does not match or a block is too thin. A
// rank whose own arguments are invalid (argErr) still takes part, with a
// report that says so, so that nobody waits for it.
func (h *Halo[T]) checkNeighbours(n int, argErr error) error {
	// Report: [valid, width, local...], n+2 long whatever the arguments.
	report := make([]int, n+2)
	if argErr == nil {
		report[0], report[1] = 1, h.width
		copy(report[2:], h.local)
	}
	var errs []error
	reqs := make([]*comm.Request, 0, 2*len(h.links))
	for i := range h.links {
		l := &h.links[i]
		if l.peer == comm.ProcNull {
			continue
		}
		l.report = make([]int, n+2)
		r, err := comm.Irecv(h.c, l.report, l.peer, l.recvTag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		reqs = append(reqs, r)
	}
	for i := range h.links {
		l := &h.links[i]
		if l.peer == comm.ProcNull {
			continue
		}
		r, err := comm.Isend(h.c, report, l.peer, l.sendTag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		reqs = append(reqs, r)
	}
	if err := comm.WaitAll(reqs...); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("grid: new halo: exchanging block shapes: %w", errors.Join(errs...))
	}
	if argErr != nil {
		return argErr
	}
	for i := range h.links {
		l := &h.links[i]
		h.regions(l)
		if l.peer == comm.ProcNull {
			continue
		}
		if err := h.checkLink(l); err != nil {
			return err
		}
	}
	return nil
}

// checkLink compares the caller's block with the neighbour's report.
func (h *Halo[T]) checkLink(l *haloLink[T]) error {
	rep := l.report
	if rep[0] == 0 {
		return fmt.Errorf("grid: new halo: neighbour rank %d passed invalid arguments: %w", l.peer, comm.ErrArg)
	}
	if rep[1] != h.width {
		return fmt.Errorf("grid: new halo: ghost width %d here, %d at neighbour rank %d: %w", h.width, rep[1], l.peer, comm.ErrArg)
	}
	theirs := rep[2:]
	for i, di := range l.dir {
		switch {
		case di == 0 && theirs[i] != h.local[i]:
			return fmt.Errorf("grid: new halo: block %v here and %v at neighbour rank %d (direction %v) differ along dimension %d: %w",
				h.local, theirs, l.peer, l.dir, i, comm.ErrArg)
		case di != 0 && (h.local[i] < h.width || theirs[i] < h.width):
			return fmt.Errorf("grid: new halo: blocks %v here and %v at neighbour rank %d thinner than the ghost width %d along dimension %d: %w",
				h.local, theirs, l.peer, h.width, i, comm.ErrArg)
		}
	}
	return nil
}

// Shape returns the shape of the local array, ghost layers included:
// local[i] + 2*width in each dimension.
func (h *Halo[T]) Shape() []int { return slices.Clone(h.shape) }

// Len returns the number of elements of the local array (the product of
// Shape).
func (h *Halo[T]) Len() int { return h.size }

// Width returns the ghost width.
func (h *Halo[T]) Width() int { return h.width }

// Start begins an exchange of data's ghost layers: it copies the outgoing
// layers out of data, posts the receives and sends, and returns. data is
// the local array (Shape, row-major); Wait must follow before the next
// Start.
//
// Errors (comm.ErrArg): an exchange already started, data shorter than
// Len; the point-to-point layer's errors (the exchange is then abandoned:
// what was posted is cancelled or completed before Start returns).
func (h *Halo[T]) Start(data []T) error {
	if h.data != nil {
		return fmt.Errorf("grid: halo start: an exchange is in progress (call Wait): %w", comm.ErrArg)
	}
	if len(data) < h.size {
		return fmt.Errorf("grid: halo start: array of %d elements for shape %v: %w", len(data), h.shape, comm.ErrArg)
	}
	var err error
	for i := range h.links {
		l := &h.links[i]
		if l.peer == comm.ProcNull {
			continue
		}
		if l.recvReq, err = comm.Irecv(h.c, l.recvBuf, l.peer, l.recvTag); err != nil {
			break
		}
	}
	if err == nil {
		for i := range h.links {
			l := &h.links[i]
			if l.peer == comm.ProcNull {
				continue
			}
			if len(l.sendBuf) > 0 {
				copyBlock(l.sendBuf, data, h.shape, l.sendStart, l.count, true)
			}
			if l.sendReq, err = comm.Isend(h.c, l.sendBuf, l.peer, l.sendTag); err != nil {
				break
			}
		}
	}
	if err != nil {
		for i := range h.links {
			if r := h.links[i].recvReq; r != nil {
				_ = r.Cancel()
			}
		}
		h.finish(nil)
		return fmt.Errorf("grid: halo start: %w", err)
	}
	h.data = data
	return nil
}

// Wait completes the exchange begun by Start: it waits for every message
// and copies what arrived into data's ghost layers. On error (a message of
// the wrong length, a lost peer) it still waits for every other message,
// so the Halo can start again, and returns the first error; the ghost
// layers of the failed directions are left as they were.
func (h *Halo[T]) Wait() error {
	if h.data == nil {
		return fmt.Errorf("grid: halo wait: no exchange in progress: %w", comm.ErrArg)
	}
	err := h.finish(h.data)
	h.data = nil
	return err
}

// Free releases the Halo's communicator (comm.Comm.Free); the Halo can
// exchange no more. Collective over the grid communicator's ranks, after
// each has completed its last exchange.
//
// Errors: an exchange in progress (comm.ErrArg, nothing freed); those of
// comm.Comm.Free, including a second Free (comm.ErrComm).
func (h *Halo[T]) Free() error {
	if h.data != nil {
		return fmt.Errorf("grid: halo free: an exchange is in progress (call Wait): %w", comm.ErrArg)
	}
	if err := h.c.Free(); err != nil {
		return fmt.Errorf("grid: halo free: %w", err)
	}
	return nil
}

// Exchange is Start followed at once by Wait.
func (h *Halo[T]) Exchange(data []T) error {
	if err := h.Start(data); err != nil {
		return err
	}
	return h.Wait()
}

// finish waits for every posted request, unpacking the received layers
// into data (when not nil), and clears the requests.
func (h *Halo[T]) finish(data []T) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for i := range h.links {
		l := &h.links[i]
		if l.recvReq != nil {
			st, err := l.recvReq.Wait()
			want := len(l.recvBuf) * comm.SizeOf[T]()
			switch {
			case err != nil:
				keep(fmt.Errorf("grid: halo wait: receive from rank %d (direction %v): %w", l.peer, l.dir, err))
			case st.Bytes != want:
				keep(fmt.Errorf("grid: halo wait: %d bytes from rank %d (direction %v), want %d: %w", st.Bytes, l.peer, l.dir, want, comm.ErrArg))
			case data != nil && want > 0:
				copyBlock(l.recvBuf, data, h.shape, l.recvStart, l.count, false)
			}
			l.recvReq = nil
		}
		if l.sendReq != nil {
			if _, err := l.sendReq.Wait(); err != nil {
				keep(fmt.Errorf("grid: halo wait: send to rank %d (direction %v): %w", l.peer, l.dir, err))
			}
			l.sendReq = nil
		}
	}
	return first
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}
