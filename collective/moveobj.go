package collective

import (
	"bytes"
	"encoding/gob"
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// The object forms of the data-movement collectives, like mpi4py's
// lower-case bcast, gather, scatter and allgather: any gob-encodable value,
// at the cost of encoding and decoding. Each encodes a value once, moves
// the lengths with the numeric algorithms (tag…), then the bytes (later
// tags). A value that fails to encode travels as length −1, so that every
// rank that needed it returns an error instead of waiting.

// objEncode gob-encodes v.
func objEncode[T any](v T) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b.Bytes(), nil
}

// objDecode decodes a value encoded by objEncode.
func objDecode[T any](data []byte, from int) (T, error) {
	var v T
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&v); err != nil {
		return v, fmt.Errorf("decode %T from rank %d: %w", v, from, err)
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

// BcastObj returns root's v on every rank (mpi4py's comm.bcast): the root
// gets v itself, the others a decoded copy. The v of other ranks is
// ignored. Errors as Bcast's, plus encoding (every rank fails, the root
// with the cause) and decoding errors.
func BcastObj[T any](c *comm.Comm, v T, root int) (T, error) {
	var zero T
	cc, tag, err := moveStart("bcastobj", c)
	if err != nil {
		return zero, err
	}
	if err := moveCheckRoot("bcastobj", cc, root); err != nil {
		return zero, err
	}
	me := cc.Rank()
	var data []byte
	var encErr error
	length := []int64{0}
	if me == root {
		data, encErr = objEncode(v)
		length[0] = objLength(data, encErr)
	}
	var errs moveErrs
	bcastRun(cc, length, root, tag, "binomial", &errs)
	switch {
	case errs.err != nil:
		return zero, moveWrap("bcastobj", errs.err)
	case encErr != nil:
		return zero, moveWrap("bcastobj", encErr)
	case length[0] < 0:
		return zero, moveWrap("bcastobj", objNotEncoded(root))
	}
	if me != root {
		data = make([]byte, length[0])
	}
	alg, err := moveChoose(cc, "bcast", "", func() string { return bcastDecide(cc.Size(), len(data)) })
	if err != nil {
		return zero, err
	}
	bcastRun(cc, data, root, tag+1, alg, &errs)
	if errs.err != nil {
		return zero, moveWrap("bcastobj", errs.err)
	}
	if me == root {
		return v, nil
	}
	out, err := objDecode[T](data, root)
	return out, moveWrap("bcastobj", err)
}

// GatherObj returns, at root, every rank's v in rank order (mpi4py's
// comm.gather), root's own v itself and the others decoded; other ranks get
// nil. Errors as Gather's, plus encoding errors (at the rank that failed,
// and at the root naming it) and decoding errors.
func GatherObj[T any](c *comm.Comm, v T, root int) ([]T, error) {
	cc, tag, err := moveStart("gatherobj", c)
	if err != nil {
		return nil, err
	}
	if err := moveCheckRoot("gatherobj", cc, root); err != nil {
		return nil, err
	}
	p, me := cc.Size(), cc.Rank()
	data, encErr := objEncode(v)
	var lengths []int64
	if me == root {
		lengths = make([]int64, p)
	}
	one := moveEqualOffsets(p, 1)
	var errs moveErrs
	if p > 1 {
		gatherBinomial(cc, []int64{objLength(data, encErr)}, lengths, one, one, root, tag, false, &errs)
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
		off = moveOffsets(counts)
		all = make([]byte, off[p])
	}
	if encErr != nil {
		data = nil
	}
	if p > 1 {
		gatherLinearRoot(cc, data, all, off, root, tag+1, false, &errs)
	}
	if errs.err != nil || encErr != nil {
		return nil, moveWrap("gatherobj", moveFirstErr(errs.err, encErr))
	}
	if me != root {
		return nil, nil
	}
	out := make([]T, p)
	for i := range p {
		if i == root {
			out[i] = v
			continue
		}
		if lengths[i] < 0 {
			return nil, moveWrap("gatherobj", objNotEncoded(i))
		}
		if out[i], err = objDecode[T](all[off[i]:off[i+1]], i); err != nil {
			return nil, moveWrap("gatherobj", err)
		}
	}
	return out, nil
}

// ScatterObj gives rank i root's vs[i] (mpi4py's comm.scatter): the root
// gets vs[root] itself, the others a decoded copy. vs matters only at the
// root, where it must have one value per rank. Errors as Scatter's, plus
// encoding errors (a root whose vs has the wrong length, or a value that
// fails to encode, makes the ranks concerned fail; the root reports the
// cause) and decoding errors.
func ScatterObj[T any](c *comm.Comm, vs []T, root int) (T, error) {
	var zero T
	cc, tag, err := moveStart("scatterobj", c)
	if err != nil {
		return zero, err
	}
	if err := moveCheckRoot("scatterobj", cc, root); err != nil {
		return zero, err
	}
	p, me := cc.Size(), cc.Rank()
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
		off = moveOffsets(counts)
		all = make([]byte, 0, off[p])
		for _, b := range parts {
			all = append(all, b...)
		}
	}
	length := []int64{0}
	one := moveEqualOffsets(p, 1)
	var errs moveErrs
	if p > 1 {
		scatterBinomial(cc, lengths, length, one, one, root, tag, false, &errs)
	}
	var data []byte
	if me != root {
		data = make([]byte, max(length[0], 0))
	}
	if p > 1 {
		scatterLinearRoot(cc, all, data, off, root, tag+1, false, &errs)
	}
	switch {
	case errs.err != nil || rootErr != nil:
		return zero, moveWrap("scatterobj", moveFirstErr(errs.err, rootErr))
	case me == root:
		return vs[root], nil
	case length[0] < 0:
		return zero, moveWrap("scatterobj", fmt.Errorf("root %d could not encode the value for rank %d: %w", root, me, comm.ErrArg))
	}
	out, err := objDecode[T](data, root)
	return out, moveWrap("scatterobj", err)
}

// AllgatherObj returns every rank's v, in rank order, on every rank
// (mpi4py's comm.allgather): the own v itself, the others decoded. Errors
// as Allgather's, plus encoding (every rank fails, naming the rank) and
// decoding errors.
func AllgatherObj[T any](c *comm.Comm, v T) ([]T, error) {
	cc, tag, err := moveStart("allgatherobj", c)
	if err != nil {
		return nil, err
	}
	p, me := cc.Size(), cc.Rank()
	data, encErr := objEncode(v)
	lengths := make([]int64, p)
	lengths[me] = objLength(data, encErr)
	one := moveEqualOffsets(p, 1)
	var errs moveErrs
	allgatherRun(cc, lengths, one, tag, allgatherDecide(p, 8*p), &errs)
	counts := make([]int, p)
	for i, n := range lengths {
		counts[i] = int(max(n, 0))
	}
	off := moveOffsets(counts)
	all := make([]byte, off[p])
	copyHot(all[off[me]:off[me+1]], data)
	alg, err := moveChoose(cc, "allgather", "", func() string { return allgatherDecide(p, off[p]) })
	if err != nil {
		return nil, err
	}
	allgatherRun(cc, all, off, tag+3, alg, &errs)
	if errs.err != nil || encErr != nil {
		return nil, moveWrap("allgatherobj", moveFirstErr(errs.err, encErr))
	}
	out := make([]T, p)
	for i := range p {
		if i == me {
			out[i] = v
			continue
		}
		if lengths[i] < 0 {
			return nil, moveWrap("allgatherobj", objNotEncoded(i))
		}
		if out[i], err = objDecode[T](all[off[i]:off[i+1]], i); err != nil {
			return nil, moveWrap("allgatherobj", err)
		}
	}
	return out, nil
}

// moveFirstErr returns the first non-nil of its arguments.
func moveFirstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
