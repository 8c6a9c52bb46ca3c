package collective

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/internal/objcodec"
)

// The object forms of the data-movement collectives, like mpi4py's
// lower-case bcast, gather, scatter and allgather: any value that
// comm.SendObj can send, encoded as comm.SendObj encodes it ([]byte,
// strings, numeric slices and scalars as their bytes, BinaryMarshaler
// values as MarshalBinary's bytes, anything else with gob), except that a
// gob value carries its type descriptions in every call: one encoding
// reaches ranks that keep no stream with its encoder. Each encodes a value
// once, moves the lengths with the numeric algorithms (roles 0…), then the
// bytes (later roles); BcastObj moves a slice's, string's or
// MarshalBinary's bytes as they are, with their kind beside the length
// (object_bcast.go). A value that fails to encode travels as length −1,
// so that every rank that needed it returns an error instead of waiting.

// objEncode encodes v for objDecode, into a buffer to give back with
// objRelease.
func objEncode[T any](v T) ([]byte, error) {
	var data []byte
	var err error
	if reflect.TypeFor[T]().Kind() == reflect.Interface {
		// gob must see the interface, not its dynamic value, to
		// decode into a *T.
		data, err = objcodec.EncodeSelf(&v, encodeAlloc)
	} else {
		data, err = objcodec.EncodeSelf(v, encodeAlloc)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return data, nil
}

func newBytes(n int) []byte { return make([]byte, n) }

// An encoding lives for one call: it is sent or copied, then dropped. So
// encodings come from a pool, and each call gives its own back
// (objRelease), which spares a fresh allocation per call; for a large
// value fresh memory costs more than the copy (zeroed, and faulted in page
// by page once the collector has handed it back,
// bench/results/2026-12-06-objects).
var (
	encodeBufs    sync.Pool // *encodeBuf holding a buffer
	encodeHolders sync.Pool // *encodeBuf holding nothing
)

type encodeBuf struct{ b []byte }

// maxPooledEncoding bounds what the pool keeps.
const maxPooledEncoding = 16 << 20

// encodeAlloc returns a buffer of length n, pooled if one is large enough.
func encodeAlloc(n int) []byte {
	if e, ok := encodeBufs.Get().(*encodeBuf); ok {
		b := e.b
		e.b = nil
		encodeHolders.Put(e)
		if cap(b) >= n {
			return b[:n]
		}
	}
	return make([]byte, n)
}

// objRelease gives back an encoding from objEncode once it is sent or
// copied.
func objRelease(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledEncoding {
		return
	}
	e, ok := encodeHolders.Get().(*encodeBuf)
	if !ok {
		e = new(encodeBuf)
	}
	e.b = b[:0]
	encodeBufs.Put(e)
}

// objDecode decodes a value encoded by objEncode.
func objDecode[T any](data []byte, from int) (T, error) {
	var v T
	if err := objcodec.DecodeSelf(data, &v); err != nil {
		return v, fmt.Errorf("decode %T from rank %d: %w: %w", v, from, comm.ErrDecode, err)
	}
	return v, nil
}

// objLength is the length that objEncode's result travels as: −1 for a
// value that failed to encode.
func objLength(data []byte, err error) int64 {
	if err != nil {
		return -1
	}
	return int64(len(data))
}

// objNotEncoded is the error of a rank whose value from rank r failed to
// encode there.
func objNotEncoded(r int) error {
	return fmt.Errorf("rank %d could not encode its value: %w", r, comm.ErrArg)
}

// GatherObj returns, at root, every rank's v in rank order (mpi4py's
// comm.gather), root's own v itself and the others decoded; other ranks get
// nil. Errors as Gather's, plus encoding errors (at the rank that failed,
// and at the root naming it) and decoding errors.
func GatherObj[T any](c *comm.Comm, v T, root int) ([]T, error) {
	var x call
	if err := x.begin(c, "gatherobj"); err != nil {
		return nil, err
	}
	if err := x.checkRoot(root); err != nil {
		return nil, err
	}
	p, me := x.size, x.rank
	data, encErr := objEncode(v)
	var lengths []int64
	if me == root {
		lengths = make([]int64, p)
	}
	one := equalOffsets(p, 1)
	if p > 1 {
		gatherBinomial(&x, []int64{objLength(data, encErr)}, lengths, one, one, root, 0, false)
	}
	counts := make([]int, p)
	if me == root {
		for i, n := range lengths {
			counts[i] = int(max(n, 0))
		}
		counts[root] = len(data)
	}
	var all []byte
	var off []int
	if me == root {
		off = blockOffsets(counts)
		all = make([]byte, off[p])
	}
	if p > 1 {
		gatherLinearRoot(&x, data, all, off, root, 1, false)
	}
	objRelease(data)
	x.keep(encErr)
	if x.err != nil || me != root {
		return nil, x.done("", nil)
	}
	out := make([]T, p)
	for i := range p {
		if i == root {
			out[i] = v
			continue
		}
		if lengths[i] < 0 {
			return nil, x.done("", objNotEncoded(i))
		}
		var err error
		if out[i], err = objDecode[T](all[off[i]:off[i+1]], i); err != nil {
			return nil, x.done("", err)
		}
	}
	return out, x.done("", nil)
}

// ScatterObj gives rank i root's vs[i] (mpi4py's comm.scatter): the root
// gets vs[root] itself, the others a decoded copy. vs matters only at the
// root, where it must have one value per rank. Errors as Scatter's, plus
// encoding errors (a root whose vs has the wrong length, or a value that
// fails to encode, makes the ranks concerned fail; the root reports the
// cause) and decoding errors.
func ScatterObj[T any](c *comm.Comm, vs []T, root int) (T, error) {
	var zero T
	var x call
	if err := x.begin(c, "scatterobj"); err != nil {
		return zero, err
	}
	if err := x.checkRoot(root); err != nil {
		return zero, err
	}
	p, me := x.size, x.rank
	var lengths []int64
	var all []byte
	var off []int
	var rootErr error
	if me == root {
		lengths = make([]int64, p)
		counts := make([]int, p)
		parts := make([][]byte, p)
		if len(vs) != p {
			rootErr = fmt.Errorf("%d values for %d ranks: %w", len(vs), p, comm.ErrArg)
		}
		for i := range p {
			if rootErr != nil {
				lengths[i] = -1
				continue
			}
			data, err := objEncode(vs[i])
			if err != nil {
				rootErr = fmt.Errorf("value for rank %d: %w", i, err)
			}
			lengths[i], parts[i] = objLength(data, err), data
			counts[i] = len(data)
		}
		off = blockOffsets(counts)
		all = make([]byte, 0, off[p])
		for _, b := range parts {
			all = append(all, b...)
			objRelease(b)
		}
	}
	length := []int64{0}
	one := equalOffsets(p, 1)
	if p > 1 {
		scatterBinomial(&x, lengths, length, one, one, root, 0, false)
	}
	var data []byte
	if me != root {
		data = make([]byte, max(length[0], 0))
	}
	if p > 1 {
		scatterLinearRoot(&x, all, data, off, root, 1, false)
	}
	x.keep(rootErr)
	switch {
	case x.err != nil:
		return zero, x.done("", nil)
	case me == root:
		return vs[root], x.done("", nil)
	case length[0] < 0:
		return zero, x.done("", fmt.Errorf("root %d could not encode the value for rank %d: %w", root, me, comm.ErrArg))
	}
	out, err := objDecode[T](data, root)
	return out, x.done("", err)
}

// AllgatherObj returns every rank's v, in rank order, on every rank
// (mpi4py's comm.allgather): the own v itself, the others decoded. Errors
// as Allgather's, plus encoding (every rank fails, naming the rank) and
// decoding errors.
func AllgatherObj[T any](c *comm.Comm, v T) ([]T, error) {
	var x call
	if err := x.begin(c, "allgatherobj"); err != nil {
		return nil, err
	}
	p, me := x.size, x.rank
	data, encErr := objEncode(v)
	lengths := make([]int64, p)
	lengths[me] = objLength(data, encErr)
	one := equalOffsets(p, 1)
	allgatherRun(&x, lengths, one, 0, chooseAllgather(p, 8*p))
	counts := make([]int, p)
	for i, n := range lengths {
		counts[i] = int(max(n, 0))
	}
	off := blockOffsets(counts)
	all := make([]byte, off[p])
	copyHot(all[off[me]:off[me+1]], data)
	objRelease(data)
	alg, err := x.forced("allgather")
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = chooseAllgather(p, off[p])
	}
	allgatherRun(&x, all, off, 3, alg)
	x.keep(encErr)
	if x.err != nil {
		return nil, x.done("", nil)
	}
	out := make([]T, p)
	for i := range p {
		if i == me {
			out[i] = v
			continue
		}
		if lengths[i] < 0 {
			return nil, x.done("", objNotEncoded(i))
		}
		if out[i], err = objDecode[T](all[off[i]:off[i+1]], i); err != nil {
			return nil, x.done("", err)
		}
	}
	return out, x.done("", nil)
}
