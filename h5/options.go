//go:build cgo

package h5

import (
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// Option changes how WriteArray writes. Every rank must pass the same
// options: WriteArray checks that they agree.
type Option func(*options)

// Strategy is how the ranks' blocks reach the file.
type Strategy int

const (
	// Auto picks Gather for chunked or compressed datasets and for arrays
	// of at most SmallArray bytes, Direct otherwise.
	Auto Strategy = iota
	// Direct: rank 0 creates a contiguous dataset and closes the file,
	// then every rank writes its own block's bytes at their place in the
	// file, all at once. Needs a file system every rank sees (one host, or
	// a shared file system), and no chunking or compression.
	Direct
	// Gather: every rank sends its block to rank 0, which writes the
	// blocks one after another through the library. Works without a shared
	// file system and with chunking and compression; rank 0 holds one
	// block at a time, never the whole array.
	Gather
)

// SmallArray is the size in bytes up to which Auto gathers an uncompressed
// array instead of writing it directly: below it, the per-rank costs of the
// direct path (every rank opening and syncing the file) outweigh sending
// the bytes to rank 0.
const SmallArray = 1 << 20

func (s Strategy) String() string {
	switch s {
	case Auto:
		return "auto"
	case Direct:
		return "direct"
	case Gather:
		return "gather"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

type options struct {
	strategy Strategy
	chunk    []int
	deflate  int // -1: none
	shuffle  bool
	truncate bool
	xdmf     bool
	attrs    []attr
	err      error // the first invalid option
}

// attr is an attribute ready for the library: its element type, its
// element count (-1 for a scalar) and its bytes, or a string.
type attr struct {
	name string
	code typeCode
	n    int
	data []byte
	s    string
}

func collect(opts []Option) options {
	o := options{deflate: -1}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

func (o *options) fail(format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf("%w: "+format, append([]any{ErrOption}, args...)...)
	}
}

// compressed reports whether the dataset must be chunked.
func (o *options) compressed() bool { return o.chunk != nil || o.deflate >= 0 || o.shuffle }

// fingerprint is a text that two ranks' options share exactly when the
// options are the same.
func (o *options) fingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "s=%d c=%v d=%d sh=%t t=%t x=%t", o.strategy, o.chunk, o.deflate, o.shuffle, o.truncate, o.xdmf)
	for _, a := range o.attrs {
		fmt.Fprintf(&b, " %q=%d/%d/%s/%q", a.name, a.code, a.n, hex.EncodeToString(a.data), a.s)
	}
	return b.String()
}

// WithStrategy picks how the blocks reach the file (default Auto).
func WithStrategy(s Strategy) Option {
	return func(o *options) {
		if s < Auto || s > Gather {
			o.fail("unknown strategy %v", s)
		}
		o.strategy = s
	}
}

// Chunk stores the dataset in chunks of the given shape (one entry per
// dimension, each at least 1). Chunking is what compression works on;
// chunks that match the ranks' blocks, or divide them, write fastest.
// Chunked datasets are written with the Gather strategy.
func Chunk(dims ...int) Option {
	return func(o *options) {
		for _, d := range dims {
			if d < 1 {
				o.fail("chunk %v has an entry below 1", dims)
				return
			}
		}
		if len(dims) == 0 {
			o.fail("chunk shape is empty")
			return
		}
		o.chunk = append([]int(nil), dims...)
	}
}

// Deflate compresses the dataset with zlib at level 0 (fastest) to 9
// (smallest). Without Chunk, chunks default to the whole array cut in
// halves along its slowest dimensions until one chunk is at most 1 MiB.
func Deflate(level int) Option {
	return func(o *options) {
		if level < 0 || level > 9 {
			o.fail("deflate level %d is not in 0..9", level)
			return
		}
		o.deflate = level
	}
}

// Shuffle reorders each chunk's bytes by significance before compression
// (HDF5's shuffle filter), which helps deflate on numeric data.
func Shuffle() Option { return func(o *options) { o.shuffle = true } }

// Truncate writes a new file even when one exists at the path: the new
// file replaces the old one only once it is complete (checkpoints want
// this). Without it, WriteArray adds the dataset to an existing file.
func Truncate() Option { return func(o *options) { o.truncate = true } }

// XDMF writes, beside the HDF5 file, an XDMF description of its 2-D and
// 3-D datasets (the file's name with the extension .xmf), which ParaView
// and VisIt open as a uniform grid, or as a time series when every
// dataset has a "time" attribute. Spacing and Origin place the grid.
func XDMF() Option { return func(o *options) { o.xdmf = true } }

// Attr attaches an attribute to the dataset. value is a Number, a string,
// or a non-empty slice of a Number type; int and uint are stored as 64-bit
// integers, strings as variable-length UTF-8 (h5py reads them as str).
func Attr(name string, value any) Option {
	return func(o *options) {
		a, err := encodeAttr(name, value)
		if err != nil {
			o.fail("%v", err)
			return
		}
		for i := range o.attrs {
			if o.attrs[i].name == name {
				o.attrs[i] = a
				return
			}
		}
		o.attrs = append(o.attrs, a)
	}
}

// Time sets the attribute "time" (the simulated time of the data; XDMF
// time series are ordered by it).
func Time(t float64) Option { return Attr("time", t) }

// Step sets the attribute "step" (the iteration that produced the data).
func Step(n int) Option { return Attr("step", n) }

// Spacing sets the attribute "spacing": the grid spacing along each
// dimension, in the dataset's dimension order (slowest first).
func Spacing(d ...float64) Option { return Attr("spacing", d) }

// Origin sets the attribute "origin": the coordinates of element (0, 0, …)
// along each dimension, in the dataset's dimension order.
func Origin(x ...float64) Option { return Attr("origin", x) }

func encodeAttr(name string, value any) (attr, error) {
	if name == "" {
		return attr{}, fmt.Errorf("attribute with an empty name")
	}
	rv := reflect.ValueOf(value)
	if !rv.IsValid() {
		return attr{}, fmt.Errorf("attribute %q is nil", name)
	}
	if rv.Kind() == reflect.String {
		return attr{name: name, code: codeString, n: -1, s: rv.String()}, nil
	}
	if rv.Kind() == reflect.Slice {
		code := kindCode(rv.Type().Elem().Kind())
		if code == codeNone || code == codeString {
			return attr{}, fmt.Errorf("attribute %q: %T is not a slice of numbers", name, value)
		}
		if rv.Len() == 0 {
			return attr{}, fmt.Errorf("attribute %q: empty slice", name)
		}
		n := rv.Len() * int(rv.Type().Elem().Size())
		data := append([]byte(nil), unsafe.Slice((*byte)(rv.UnsafePointer()), n)...)
		return attr{name: name, code: code, n: rv.Len(), data: data}, nil
	}
	code := kindCode(rv.Kind())
	if code == codeNone {
		return attr{}, fmt.Errorf("attribute %q: %T is not a number, string or slice of numbers", name, value)
	}
	p := reflect.New(rv.Type())
	p.Elem().Set(rv)
	data := append([]byte(nil), unsafe.Slice((*byte)(p.UnsafePointer()), int(rv.Type().Size()))...)
	return attr{name: name, code: code, n: -1, data: data}, nil
}

// floatsAttr returns attribute name as float64s if it was set as a
// []float64, else nil.
func (o *options) floatsAttr(name string) []float64 {
	for _, a := range o.attrs {
		if a.name == name && a.code == codeF64 && a.n > 0 {
			out := make([]float64, a.n)
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 8*a.n), a.data)
			return out
		}
	}
	return nil
}
