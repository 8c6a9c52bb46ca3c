//go:build cgo

package main

// block is one rank's part of the rows×cols temperature grid: the owned
// points [start, start+count) of the global index space, stored with one
// ghost point on every side in u (the current step) and next (the one
// being computed), row-major, each row stride = count[1]+2 long.
//
// Invariant: the points on the global grid's edge hold their boundary
// values in both u and next and are never written again (Dirichlet
// conditions), so swapping u and next keeps them.
type block struct {
	rows, cols   int
	start, count [2]int
	stride       int
	u, next      []float64
	// The owned points the update writes: local rows [lo[0], hi[0]) and
	// columns [lo[1], hi[1]), i.e. every owned point not on the global edge.
	lo, hi [2]int
}

func newBlock(rows, cols int, start, count [2]int) *block {
	b := &block{rows: rows, cols: cols, start: start, count: count, stride: count[1] + 2}
	n := (count[0] + 2) * b.stride
	b.u, b.next = make([]float64, n), make([]float64, n)
	global := [2]int{rows, cols}
	for d := range 2 {
		b.lo[d] = max(0, 1-start[d])
		b.hi[d] = min(count[d], global[d]-1-start[d])
	}
	return b
}

// at is the index in u and next of owned point (i, j), local coordinates.
func (b *block) at(i, j int) int { return (i+1)*b.stride + j + 1 }

// shape is the padded array's shape, as the halo exchange and Pack see it.
func (b *block) shape() []int { return []int{b.count[0] + 2, b.count[1] + 2} }

// initial sets the starting field: 100 along the top edge (row 0), 0 on
// the other edges, and inside a disc of 100 around the centre in a field
// of 0, so the picture shows both diffusion from an edge and the decay of
// a hot spot.
func (b *block) initial() {
	cy, cx := float64(b.rows-1)/2, float64(b.cols-1)/2
	rad := float64(min(b.rows, b.cols)) / 8
	for i := range b.count[0] {
		for j := range b.count[1] {
			gi, gj := b.start[0]+i, b.start[1]+j
			v := 0.0
			dy, dx := float64(gi)-cy, float64(gj)-cx
			if gi == 0 || (dy*dy+dx*dx <= rad*rad && gi != b.rows-1 && gj != 0 && gj != b.cols-1) {
				v = 100
			}
			b.u[b.at(i, j)] = v
		}
	}
	copy(b.next, b.u)
}

// relax computes next from u on the owned rows [i0, i1) and columns
// [j0, j1) (local coordinates, already clipped to the updated points) by
// one explicit Jacobi step of the heat equation with r = α·Δt/h²:
//
//	next = u + r·(u_north + u_south + u_west + u_east − 4u)
//
// Every point is computed by this one expression whichever rank and
// whichever phase (interior or rim) computes it, and the conversions stop
// the compiler from fusing a multiply and an add (which it may do on some
// targets): each point's result is therefore the same bits on any number
// of ranks.
func (b *block) relax(r float64, i0, i1, j0, j1 int) {
	if j0 >= j1 {
		return
	}
	u, next, s := b.u, b.next, b.stride
	for i := i0; i < i1; i++ {
		c0 := b.at(i, j0)
		row := next[c0 : c0+j1-j0]
		for k := range row {
			c := c0 + k
			lap := float64(u[c-s]+u[c+s]) + float64(u[c-1]+u[c+1]) - float64(4*u[c])
			row[k] = u[c] + float64(r*lap)
		}
	}
}

// interior relaxes the updated points that read no ghost point: those at
// least one point away from every edge of the block. It runs while the
// halo exchange is in flight.
func (b *block) interior(r float64) {
	b.relax(r, max(b.lo[0], 1), min(b.hi[0], b.count[0]-1), max(b.lo[1], 1), min(b.hi[1], b.count[1]-1))
}

// rim relaxes the rest of the updated points, which read ghosts: the
// block's first and last rows and, between them, its first and last
// columns.
func (b *block) rim(r float64) {
	lo, hi := b.lo, b.hi
	if lo[0] >= hi[0] || lo[1] >= hi[1] {
		return
	}
	if lo[0] == 0 {
		b.relax(r, 0, 1, lo[1], hi[1])
	}
	if last := b.count[0] - 1; hi[0] == b.count[0] && last > 0 {
		b.relax(r, last, last+1, lo[1], hi[1])
	}
	mid0, mid1 := max(lo[0], 1), min(hi[0], b.count[0]-1)
	if lo[1] == 0 {
		b.relax(r, mid0, mid1, 0, 1)
	}
	if last := b.count[1] - 1; hi[1] == b.count[1] && last > 0 {
		b.relax(r, mid0, mid1, last, last+1)
	}
}

// swap makes next the current step.
func (b *block) swap() { b.u, b.next = b.next, b.u }

// maxChange is the largest |u − next| over the owned points: after a swap,
// how much the last step changed the field.
func (b *block) maxChange() float64 {
	m := 0.0
	for i := range b.count[0] {
		c0 := b.at(i, 0)
		for k := range b.count[1] {
			d := b.u[c0+k] - b.next[c0+k]
			m = max(m, d, -d)
		}
	}
	return m
}
