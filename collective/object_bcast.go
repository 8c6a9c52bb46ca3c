package collective

import (
	"encoding"
	"fmt"
	"reflect"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/internal/objcodec"
)

// BcastObj returns root's v on every rank (mpi4py's comm.bcast): the root
// gets v itself, the others a decoded copy. The v of other ranks is
// ignored. Errors as Bcast's, plus encoding (every rank fails, the root
// with the cause) and decoding errors.
func BcastObj[T any](c *comm.Comm, v T, root int) (T, error) {
	var zero T
	var x call
	if err := x.begin(c, "bcastobj"); err != nil {
		return zero, err
	}
	if err := x.checkRoot(root); err != nil {
		return zero, err
	}
	me := x.rank
	// meta is the length of what travels (−1: v failed to encode) and its
	// kind: a fast kind whose bytes travel as they are (bcastPlain), or
	// 0 for an encoded message.
	meta := []int64{0, 0}
	var data []byte
	var encErr error
	if me == root {
		var k objcodec.Kind
		data, k, encErr = bcastBytes(v)
		meta[0], meta[1] = objLength(data, encErr), int64(k)
	}
	bcastRun(&x, meta, root, 0, "binomial")
	switch {
	case x.err != nil:
		return zero, x.done("", nil)
	case encErr != nil:
		return zero, x.done("", encErr)
	case meta[0] < 0:
		return zero, x.done("", objNotEncoded(root))
	}
	alg, err := x.forced("bcast")
	if err != nil {
		return zero, err
	}
	if alg == "" {
		alg = chooseBcast(x.size, int(meta[0]))
	}
	if me == root {
		ours := meta[1] == 0 // an encoding, not v's memory
		if !ours && alg != "binomial" && alg != "linear" {
			// The scatter algorithms write every rank's buffer, the
			// root's too: not v's memory (a string's may be read-only).
			data = append(encodeAlloc(len(data))[:0], data...)
			ours = true
		}
		bcastRun(&x, data, root, 1, alg)
		if ours {
			objRelease(data)
		}
		return v, x.done("", nil)
	}
	if meta[1] == 0 {
		data = make([]byte, meta[0])
		bcastRun(&x, data, root, 1, alg)
		if x.err != nil {
			return zero, x.done("", nil)
		}
		out, err := objDecode[T](data, root)
		return out, x.done("", err)
	}
	// The bytes of a fast kind land in the value returned.
	var out T
	var u encoding.BinaryUnmarshaler
	k, n := objcodec.Kind(meta[1]), int(meta[0])
	if !objcodec.Splittable(k) {
		err = fmt.Errorf("%w: %w: kind %d from the root", comm.ErrDecode, objcodec.ErrMalformed, meta[1])
	} else {
		data, u, err = objcodec.Into(k, n, &out, newBytes)
		if err != nil {
			err = fmt.Errorf("decode %T from rank %d: %w: %w", out, root, comm.ErrDecode, err)
		}
	}
	if err != nil {
		data = make([]byte, n) // take part all the same
	}
	bcastRun(&x, data, root, 1, alg)
	switch {
	case x.err != nil:
		return zero, x.done("", nil)
	case err != nil:
		return zero, x.done("", err)
	case u != nil:
		if err := u.UnmarshalBinary(data); err != nil {
			return zero, x.done("", fmt.Errorf("decode %T from rank %d: %w: UnmarshalBinary: %w", out, root, comm.ErrDecode, err))
		}
	}
	return out, x.done("", nil)
}

// bcastBytes returns what BcastObj's root sends for v: the bytes of a fast
// kind with plain bytes (a []byte, string or numeric slice as its own
// memory, a BinaryMarshaler as MarshalBinary's result) and that kind, or
// else v's self-described encoding and kind 0. When T is an interface
// type, only a value of exactly the type that an interface receives for
// its kind ([]float64, not a named type over it) takes the first way:
// others go through gob, which keeps their type (registered with
// gob.Register) for the interface at the other end.
func bcastBytes[T any](v T) ([]byte, objcodec.Kind, error) {
	x, ok, err := objcodec.View(any(v))
	if err != nil {
		return nil, 0, fmt.Errorf("encode %T: %w", v, err)
	}
	if ok && objcodec.Splittable(x.Kind) && (reflect.TypeFor[T]().Kind() != reflect.Interface || asReceived(x.Kind, v)) {
		return x.Bytes, x.Kind, nil
	}
	data, err := objEncode(v)
	return data, 0, err
}

// asReceived reports whether an interface that receives a value of kind
// k gets one of v's type.
func asReceived(k objcodec.Kind, v any) bool {
	var got any
	if _, _, err := objcodec.Into(k, 0, &got, newBytes); err != nil {
		return false
	}
	return reflect.TypeOf(got) == reflect.TypeOf(v)
}
