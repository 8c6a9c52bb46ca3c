//go:build cgo

package h5

// #include "shim.h"
import "C"

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"unsafe"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

// WriteArray writes a distributed N-d array as one dataset of one ordinary
// HDF5 file. It is collective over c: every rank passes the same path,
// dataset, global shape and options, and its own block of the array —
// start and count in the global index space, local holding the block's
// count[0]·count[1]·… elements in row-major order. A rank may own an
// empty block (a count of 0).
//
// Before anything is written the ranks check, together, that the blocks
// tile the global shape exactly (none outside it, none overlapping, no
// element left out) and that they agree on everything else; the file is
// checked by rank 0 (an existing dataset of that name must have the same
// shape and element type, and is then replaced). Any failure is returned
// on every rank, as an *Error naming the rank whose part failed.
//
// A file that did not exist appears at path only once it is complete
// (it is written under a temporary name and renamed), and so does a file
// replaced with Truncate. A dataset added to an existing file is written
// under a temporary name beside its own and moved into place once
// complete. A failed or interrupted write therefore never leaves a file or
// dataset at the requested name holding partial data: at worst a
// temporary file, or an unlinked dataset's space inside the file.
//
// The dataset name may contain groups ("/step_000100/T"); missing groups
// are created. See the package documentation for the strategies.
func WriteArray[T Number](c *comm.Comm, path, dataset string, global, start, count []int, local []T, opts ...Option) error {
	var bytes []byte
	if len(local) > 0 {
		bytes = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(local))), len(local)*int(unsafe.Sizeof(local[0])))
	}
	return writeArray(c, path, dataset, global, start, count, len(local), bytes, codeFor[T](), collect(opts))
}

// writeDesc is one rank's call, as the ranks compare them.
type writeDesc struct {
	Path, Dataset        string
	Global, Start, Count []int
	Code                 int
	Options              string
	Fail                 failure // this rank's own argument error
}

func writeArray(c *comm.Comm, file, dataset string, global, start, count []int, n int, local []byte, code typeCode, o options) error {
	ds, dsErr := cleanDataset(dataset)
	wrap := func(rank int, err error) error {
		return &Error{Op: "write", File: file, Dataset: ds, Rank: rank, Err: err}
	}
	if c == nil {
		return wrap(-1, comm.ErrComm)
	}
	hc, err := ioComm(c)
	if err != nil {
		return wrap(-1, err)
	}
	me := hc.Rank()
	b := block{Start: slices.Clone(start), Count: slices.Clone(count)}
	mine := errors.Join(dsErr, o.err)
	if mine == nil {
		mine = checkShape(global, code.size())
	}
	if mine == nil {
		mine = checkBlock(global, b, n)
	}
	d := writeDesc{Path: file, Dataset: ds, Global: global, Start: start, Count: count, Code: int(code), Options: o.fingerprint(), Fail: toFailure(mine)}
	all, err := collective.AllgatherObj(hc, d)
	if err != nil {
		return wrap(-1, err)
	}
	for r, x := range all {
		if x.Fail.failed() {
			if r == me {
				return wrap(r, mine)
			}
			return wrap(r, x.Fail.err())
		}
	}
	// From here on every rank decides from the same data, so they agree
	// without talking.
	blocks := make([]block, len(all))
	for r, x := range all {
		if err := sameCall(all[0], x); err != nil {
			return wrap(-1, fmt.Errorf("%w: ranks 0 and %d disagree on %v", ErrLayout, r, err))
		}
		blocks[r] = block{Start: x.Start, Count: x.Count}
	}
	if err := checkTiling(global, blocks); err != nil {
		return wrap(-1, err)
	}
	strategy, err := o.settle(global, code)
	if err != nil {
		return wrap(-1, err)
	}
	w := &writer{hc: hc, me: me, file: file, ds: ds, global: global, blocks: blocks, code: code, o: o, strategy: strategy, local: local}
	if rank, err := w.run(); err != nil {
		return wrap(rank, err)
	}
	return nil
}

// sameCall reports the first thing two ranks' calls disagree on.
func sameCall(a, b writeDesc) error {
	switch {
	case a.Path != b.Path:
		return fmt.Errorf("the file: %q and %q", a.Path, b.Path)
	case a.Dataset != b.Dataset:
		return fmt.Errorf("the dataset: %q and %q", a.Dataset, b.Dataset)
	case !slices.Equal(a.Global, b.Global):
		return fmt.Errorf("the global shape: %v and %v", a.Global, b.Global)
	case a.Code != b.Code:
		return fmt.Errorf("the element type: %v and %v", typeCode(a.Code), typeCode(b.Code))
	case a.Options != b.Options:
		return fmt.Errorf("the options: %s and %s", a.Options, b.Options)
	}
	return nil
}

// cleanDataset makes a dataset name absolute and clean.
func cleanDataset(name string) (string, error) {
	ds := path.Clean("/" + name)
	if name == "" || ds == "/" {
		return ds, fmt.Errorf("%w: dataset name %q names no dataset", ErrOption, name)
	}
	return ds, nil
}

// settle completes the options for this array (the default chunk shape)
// and picks the strategy; errors are the same on every rank.
func (o *options) settle(global []int, code typeCode) (Strategy, error) {
	if o.chunk != nil && len(o.chunk) != len(global) {
		return 0, fmt.Errorf("%w: chunk %v has %d dimensions, the array %d", ErrOption, o.chunk, len(o.chunk), len(global))
	}
	if o.compressed() && o.chunk == nil {
		o.chunk = defaultChunk(global, code.size())
	}
	if o.chunk != nil {
		for d := range o.chunk {
			o.chunk[d] = min(o.chunk[d], global[d])
		}
	}
	if o.xdmf && len(global) != 2 && len(global) != 3 {
		return 0, fmt.Errorf("%w: XDMF describes 2-D and 3-D grids, not %d-D", ErrOption, len(global))
	}
	for _, name := range []string{"spacing", "origin"} {
		if v := o.floatsAttr(name); o.xdmf && v != nil && len(v) != len(global) {
			return 0, fmt.Errorf("%w: %s has %d entries for a %d-D array", ErrOption, name, len(v), len(global))
		}
	}
	switch {
	case o.strategy == Direct && o.compressed():
		return 0, fmt.Errorf("%w: the direct strategy writes contiguous datasets; chunking and compression need Gather", ErrOption)
	case o.strategy != Auto:
		return o.strategy, nil
	case o.compressed():
		return Gather, nil
	}
	bytes := code.size()
	for _, g := range global {
		bytes *= g
	}
	if bytes <= SmallArray {
		return Gather, nil
	}
	return Direct, nil
}

// writer carries one WriteArray call through its phases.
type writer struct {
	hc       *comm.Comm
	me       int
	file, ds string
	global   []int
	blocks   []block
	code     typeCode
	o        options
	strategy Strategy
	local    []byte

	// Rank 0's state between the phases.
	fid, did C.hid_t // open while gathering
}

// plan is what rank 0 tells the others once the dataset exists.
type plan struct {
	Fail    failure
	Target  string // the file the blocks go into
	Temp    bool   // Target is a temporary file, renamed to the path on success
	Partial string // the name the dataset is written under, moved to its own on success ("" if none)
	Replace bool   // a dataset of that name exists and is deleted on success
	Offset  int64  // byte offset of the data (Direct)
}

const gatherTag = 1

// run writes; it returns the failing rank (or -1) and the error.
func (w *writer) run() (int, error) {
	var p plan
	if w.me == 0 {
		var err error
		p, err = w.prepare()
		p.Fail = toFailure(err)
	}
	mine := p
	p, err := collective.BcastObj(w.hc, p, 0)
	if err != nil {
		if w.me == 0 && !mine.Fail.failed() {
			w.abandon()
			w.discard(mine)
		}
		return -1, err
	}
	if p.Fail.failed() {
		return 0, p.Fail.err()
	}
	var werr error
	if w.strategy == Direct {
		werr = w.writeDirect(p)
	} else {
		werr = w.gather()
	}
	if testHookWritten != nil && werr == nil {
		werr = testHookWritten(w.me)
	}
	rank, err := agree(w.hc, werr)
	if err == nil {
		var cerr error
		if w.me == 0 {
			cerr = w.commit(p)
		}
		rank, err = agree(w.hc, cerr)
	}
	if err != nil && w.me == 0 {
		w.discard(p)
	}
	return rank, err
}

// prepare (rank 0) creates the dataset and its attributes: in a new
// temporary file, or under a temporary name in the existing file. For
// Direct it closes the file again; for Gather it leaves it open.
func (w *writer) prepare() (plan, error) {
	var p plan
	dir := filepath.Dir(w.file)
	if st, err := os.Stat(dir); err != nil {
		return p, fmt.Errorf("%w: %v", ErrIO, err)
	} else if !st.IsDir() {
		return p, fmt.Errorf("%w: %s is not a directory", ErrIO, dir)
	}
	_, statErr := os.Stat(w.file)
	newFile := w.o.truncate || errors.Is(statErr, os.ErrNotExist)
	name := w.ds
	if newFile {
		var rnd [6]byte
		_, _ = rand.Read(rnd[:])
		p.Target = filepath.Join(dir, "."+filepath.Base(w.file)+"."+hex.EncodeToString(rnd[:])+".tmp")
		p.Temp = true
	} else {
		p.Target = w.file
		name = path.Join(path.Dir(w.ds), "."+path.Base(w.ds)+".partial")
		p.Partial = name
	}
	err := locked(func() error {
		var fid C.hid_t
		var err error
		if newFile {
			fid, err = createFile(p.Target)
		} else {
			fid, err = openFile(p.Target, true)
		}
		if err != nil {
			return err
		}
		keep := false
		defer func() {
			if !keep {
				_ = closeFile(fid)
			}
		}()
		if !newFile {
			info, err := datasetInfo(fid, w.ds)
			if err != nil {
				return err
			}
			switch {
			case info.other:
				return fmt.Errorf("%w: %s exists and is not a dataset", ErrMismatch, w.ds)
			case info.exists && !slices.Equal(info.dims, w.global):
				return fmt.Errorf("%w: the dataset exists with shape %v, not %v", ErrMismatch, info.dims, w.global)
			case info.exists && info.code != w.code:
				return fmt.Errorf("%w: the dataset exists with element type %v, not %v", ErrMismatch, info.code, w.code)
			}
			p.Replace = info.exists
			// A partial dataset left by an interrupted write goes first.
			stale, err := datasetInfo(fid, name)
			if err != nil {
				return err
			}
			if stale.exists || stale.other {
				if err := deleteLink(fid, name); err != nil {
					return err
				}
			}
		}
		var chunk []int
		if w.strategy == Gather {
			chunk = w.o.chunk
		}
		did, err := createDataset(fid, name, w.code, w.global, chunk, w.o.shuffle, w.o.deflate)
		if err != nil {
			return err
		}
		for _, a := range w.o.attrs {
			if err := writeAttr(did, a); err != nil {
				_ = closeDataset(did)
				return fmt.Errorf("attribute %s: %w", a.name, err)
			}
		}
		if w.strategy == Gather {
			w.fid, w.did, keep = fid, did, true
			return nil
		}
		p.Offset = datasetOffset(did)
		if err := closeDataset(did); err != nil {
			return err
		}
		if p.Offset < 0 {
			return fmt.Errorf("%w: the library gave the new dataset no storage", ErrIO)
		}
		return nil
	})
	if err != nil && p.Temp {
		_ = os.Remove(p.Target)
	}
	if err != nil && !p.Temp {
		p.Partial = "" // nothing was created, or it was closed
	}
	return p, err
}

// writeDirect writes this rank's block straight into the file: every
// contiguous run of the block at its byte offset, then a sync, so that
// the data is on disk before rank 0 makes the file or dataset visible.
func (w *writer) writeDirect(p plan) error {
	b := w.blocks[w.me]
	if b.volume() == 0 {
		return nil
	}
	f, err := os.OpenFile(p.Target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("%w: %v (the direct strategy needs a file system that every rank sees; WithStrategy(Gather) does not)", ErrIO, err)
	}
	size := int64(w.code.size())
	err = runs(w.global, b, func(at, local, n int) error {
		_, err := f.WriteAt(w.local[int64(local)*size:int64(local+n)*size], p.Offset+int64(at)*size)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrIO, err)
	}
	return nil
}

// gather sends every block to rank 0, which writes them one at a time
// through the library (and closes the file after the last).
func (w *writer) gather() error {
	if w.me != 0 {
		if w.blocks[w.me].volume() == 0 {
			return nil
		}
		return comm.Send(w.hc, w.local, 0, gatherTag)
	}
	var werr error
	write := func(b block, data []byte) {
		if werr != nil || b.volume() == 0 {
			return
		}
		werr = locked(func() error { return writeBlock(w.did, w.code, b.Start, b.Count, unsafe.Pointer(&data[0])) })
	}
	write(w.blocks[0], w.local)
	var buf []byte
	for r := 1; r < len(w.blocks); r++ {
		b := w.blocks[r]
		if b.volume() == 0 {
			continue
		}
		n := b.volume() * w.code.size()
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		// Keep receiving after a failed write: the senders must not be
		// left waiting.
		if _, err := comm.Recv(w.hc, buf[:n], r, gatherTag); err != nil {
			werr = errors.Join(werr, err)
			break
		}
		write(b, buf[:n])
	}
	cerr := locked(func() error {
		err := closeDataset(w.did)
		return errors.Join(err, closeFile(w.fid))
	})
	return errors.Join(werr, cerr)
}

// commit (rank 0) makes the complete dataset visible under its name, then
// writes the XDMF description if asked.
func (w *writer) commit(p plan) error {
	if p.Temp {
		if err := syncFile(p.Target); err != nil {
			return err
		}
		if err := os.Rename(p.Target, w.file); err != nil {
			return fmt.Errorf("%w: %v", ErrIO, err)
		}
		syncDir(filepath.Dir(w.file))
	} else {
		err := locked(func() error {
			fid, err := openFile(w.file, true)
			if err != nil {
				return err
			}
			if p.Replace {
				err = deleteLink(fid, w.ds)
			}
			if err == nil {
				err = moveLink(fid, p.Partial, w.ds)
			}
			return errors.Join(err, closeFile(fid))
		})
		if err != nil {
			return err
		}
	}
	if w.o.xdmf {
		if err := writeXDMF(w.file); err != nil {
			return fmt.Errorf("the data is written, but the XDMF file is not: %w", err)
		}
	}
	return nil
}

// abandon (rank 0) closes the file Gather left open when the write
// cannot go on.
func (w *writer) abandon() {
	if w.strategy != Gather {
		return
	}
	_ = locked(func() error {
		return errors.Join(closeDataset(w.did), closeFile(w.fid))
	})
}

// discard (rank 0) removes what a failed write left: the temporary file,
// or the partial dataset's link.
func (w *writer) discard(p plan) {
	switch {
	case p.Temp:
		_ = os.Remove(p.Target)
	case p.Partial != "":
		_ = locked(func() error {
			fid, err := openFile(p.Target, true)
			if err != nil {
				return err
			}
			if info, err := datasetInfo(fid, p.Partial); err == nil && info.exists {
				_ = deleteLink(fid, p.Partial)
			}
			return closeFile(fid)
		})
	}
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrIO, err)
	}
	return nil
}

// syncDir makes a rename durable; file systems that cannot sync a
// directory are left to their own guarantees.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}

// testHookWritten, when set (by tests), is called on every rank after its
// part of the data is written; an error it returns counts as that rank's
// write failing.
var testHookWritten func(rank int) error
