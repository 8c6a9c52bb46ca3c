//go:build cgo

package main

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/grid"
	"github.com/spmd-go/spmd/h5"
)

// writer moves the field between the ranks' blocks and the files.
type writer struct {
	c       *comm.Comm
	cfg     config
	b       *block
	owned   []float64 // the owned points, contiguous, for the files
	written int       // fields written to cfg.out by this run
}

func newWriter(c *comm.Comm, cfg config, b *block) *writer {
	return &writer{c: c, cfg: cfg, b: b, owned: make([]float64, b.count[0]*b.count[1])}
}

// h is the grid spacing: the grid covers [0, 1] along its rows.
func (w *writer) h() float64 { return 1 / float64(w.cfg.rows-1) }

// time is the simulated time after step steps: Δt = r·h².
func (w *writer) time(step int) float64 { return float64(step) * r * w.h() * w.h() }

func (w *writer) global() []int     { return []int{w.cfg.rows, w.cfg.cols} }
func (w *writer) blockStart() []int { return []int{w.b.start[0], w.b.start[1]} }
func (w *writer) blockCount() []int { return []int{w.b.count[0], w.b.count[1]} }

// pack copies the owned points of u into owned.
func (w *writer) pack() error {
	_, err := grid.Pack(w.owned, w.b.u, w.b.shape(), []int{1, 1}, w.blockCount())
	return err
}

// output writes the current field as /step_NNNNNN/T of the output file,
// with an XDMF description; fresh starts a new file.
func (w *writer) output(step int, fresh bool) error {
	if err := w.pack(); err != nil {
		return err
	}
	opts := []h5.Option{h5.Time(w.time(step)), h5.Step(step), h5.Spacing(w.h(), w.h()), h5.Origin(0, 0), h5.XDMF()}
	if fresh {
		opts = append(opts, h5.Truncate())
	}
	err := h5.WriteArray(w.c, w.cfg.out, fmt.Sprintf("/step_%06d/T", step), w.global(), w.blockStart(), w.blockCount(), w.owned, opts...)
	if err == nil {
		w.written++
	}
	return err
}

// checkpoint writes the field and the step to the checkpoint file,
// replacing the previous checkpoint only once the new one is complete.
func (w *writer) checkpoint(step int) error {
	if err := w.pack(); err != nil {
		return err
	}
	return h5.WriteArray(w.c, w.cfg.ckpt, "/T", w.global(), w.blockStart(), w.blockCount(), w.owned,
		h5.Truncate(), h5.Step(step), h5.Time(w.time(step)), h5.Attr("r", r))
}

// restore reads this rank's block of a checkpoint into u (and next, whose
// boundary points must hold the same values).
func (w *writer) restore(file string) error {
	if err := h5.ReadArray(w.c, file, "/T", w.blockStart(), w.blockCount(), w.owned); err != nil {
		return err
	}
	if _, err := grid.Unpack(w.b.u, w.b.shape(), []int{1, 1}, w.blockCount(), w.owned); err != nil {
		return err
	}
	copy(w.b.next, w.b.u)
	return nil
}

// startStep is the step a run begins at: 0, or the checkpoint's, after
// checking that the checkpoint fits the run.
func (c *config) startStep() (int, error) {
	if c.restart == "" {
		return 0, nil
	}
	shape, err := h5.Shape(c.restart, "/T")
	if err != nil {
		return 0, err
	}
	if len(shape) != 2 || shape[0] != c.rows || shape[1] != c.cols {
		return 0, fmt.Errorf("checkpoint %s holds a %v grid, the run is %d×%d (-rows, -cols)", c.restart, shape, c.rows, c.cols)
	}
	if rr, err := h5.ReadAttr[float64](c.restart, "/T", "r"); err != nil {
		return 0, err
	} else if rr != r {
		return 0, fmt.Errorf("checkpoint %s was made with r = %v, this program uses %v", c.restart, rr, r)
	}
	return h5.ReadAttr[int](c.restart, "/T", "step")
}
