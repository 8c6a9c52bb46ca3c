package collective

import (
	"encoding"
	"encoding/gob"
	"reflect"
	"sync"
	"unsafe"
)

// AllreduceObj receives a partner's value in every round, and once f has
// combined it, that value is garbage unless f's result holds it. For a
// large slice, a fresh one per round costs more than the exchange: Go
// zeroes it, and the collector's churn hands back memory that the kernel
// must fault in again page by page (bench/results/2026-12-06-objects).
// So the received slices of a numeric element type go back to a pool per
// type, and the next round or call receives into their capacity. What
// makes that safe is AllreduceObj's contract with f (which must not keep
// its arguments beyond its result) and a check after every round: a
// received slice that f's result shares memory with is left to the result.

// objScratch holds, per type T that AllreduceObj has reduced, the pool of
// *T holding received slices' memory, or a nil pool for a type that is not
// reused (so that the decision is taken once per type).
var objScratch sync.Map // reflect.Type → *sync.Pool

// objScratchPool returns the pool of received slices of type T, or nil if
// T is not a reusable slice type.
func objScratchPool[T any]() *sync.Pool {
	t := reflect.TypeFor[T]()
	if p, ok := objScratch.Load(t); ok {
		return p.(*sync.Pool)
	}
	var p *sync.Pool
	if reusableSlice(t) {
		p = new(sync.Pool)
	}
	got, _ := objScratch.LoadOrStore(t, p)
	return got.(*sync.Pool)
}

var (
	binaryUnmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	gobDecoderType        = reflect.TypeFor[gob.GobDecoder]()
)

// reusableSlice reports whether received values of type t may be received
// into an earlier one's capacity: slices of fixed-size numbers (the fast
// kinds, which comm.RecvObj decodes into the capacity it is given), of a
// type without decoding methods of its own.
func reusableSlice(t reflect.Type) bool {
	if t.Kind() != reflect.Slice {
		return false
	}
	if p := reflect.PointerTo(t); p.Implements(binaryUnmarshalerType) || p.Implements(gobDecoderType) {
		return false
	}
	switch t.Elem().Kind() {
	case reflect.Uint8, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	}
	return false
}

// objHolder returns a *T to receive into: one from pool (nil for types
// that are not reused), else a new one.
func objHolder[T any](pool *sync.Pool) *T {
	if pool != nil {
		if h, ok := pool.Get().(*T); ok {
			return h
		}
	}
	return new(T)
}

// releaseHolder gives h back to pool, for types that are reused.
func releaseHolder[T any](pool *sync.Pool, h *T) {
	if pool != nil {
		pool.Put(h)
	}
}

// sliceHeader is the layout of a slice value (unsafe.SliceData and cap,
// for a T known only to be of a slice kind).
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// forgetIfShared empties *h when acc, a slice of the same reusable type,
// starts within *h's array: acc then owns that memory, which must not be
// received into again. Two slices share memory only if they share an
// array, so comparing where acc starts with *h's array is enough.
func forgetIfShared[T any](pool *sync.Pool, h, acc *T) {
	if pool == nil {
		return
	}
	hh, ha := (*sliceHeader)(unsafe.Pointer(h)), (*sliceHeader)(unsafe.Pointer(acc))
	if hh.cap == 0 || ha.cap == 0 {
		return
	}
	start := uintptr(hh.data)
	end := start + uintptr(hh.cap)*reflect.TypeFor[T]().Elem().Size()
	if p := uintptr(ha.data); p >= start && p < end {
		var zero T
		*h = zero
	}
}
