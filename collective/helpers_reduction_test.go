package collective

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"reflect"
	"sync"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
)

// The reductions' test helpers: seeded inputs in ranges that suit each
// operation, a serial reference that does not use the package's kernels,
// and comparisons with a derived tolerance.

// testOp is an operation under test with the name the reference knows it by.
type testOp struct {
	name string
	op   Op
}

// The user operations: affine maps x ↦ m·x + a (mod 2^32) packed in a
// uint64 (m low, a high) and composed left to right, an associative,
// non-commutative operation with exact results; and a user sum.
func composeAffine(f, g uint64) uint64 {
	m1, a1 := uint32(f), uint32(f>>32)
	m2, a2 := uint32(g), uint32(g>>32)
	return uint64(m1*m2) | uint64(m2*a1+a2)<<32
}

var (
	affineOp = NewOp(func(inout, in []uint64) {
		for i := range inout {
			inout[i] = composeAffine(inout[i], in[i])
		}
	}, false)
	userSumOp = NewOp(func(inout, in []int64) {
		for i := range inout {
			inout[i] += in[i]
		}
	}, true)
)

// opsFor returns the operations tested on T.
func opsFor[T comm.Scalar]() []testOp {
	switch any(*new(T)).(type) {
	case int32, uint8:
		return []testOp{{"sum", Sum}, {"max", Max}, {"bxor", Bxor}, {"land", Land}}
	case int64:
		return []testOp{{"sum", Sum}, {"min", Min}, {"usersum", userSumOp}}
	case uint64:
		return []testOp{{"affine", affineOp}}
	case float32, float64:
		return []testOp{{"sum", Sum}, {"min", Min}, {"prod", Prod}}
	case complex128:
		return []testOp{{"sum", Sum}, {"prod", Prod}}
	}
	panic("untested type")
}

// reductionInput returns rank's input: n values from a generator seeded by
// (seed, rank), in ranges that suit op (near 1 for products).
func reductionInput[T comm.Scalar](seed uint64, rank, n int, op string) []T {
	rng := rand.New(rand.NewPCG(seed, uint64(rank)))
	out := make([]T, n)
	fv := func() float64 {
		if op == "prod" {
			return 0.5 + rng.Float64()
		}
		return 2*rng.Float64() - 1
	}
	switch o := any(out).(type) {
	case []int32:
		for i := range o {
			o[i] = int32(rng.IntN(7) - 3)
		}
	case []int64:
		for i := range o {
			o[i] = int64(rng.IntN(2001) - 1000)
		}
	case []uint8:
		for i := range o {
			o[i] = uint8(rng.IntN(7))
		}
	case []uint64:
		for i := range o {
			o[i] = rng.Uint64()
		}
	case []float32:
		for i := range o {
			o[i] = float32(fv())
		}
	case []float64:
		for i := range o {
			o[i] = fv()
		}
	case []complex128:
		for i := range o {
			o[i] = complex(fv(), fv()/4)
		}
	default:
		panic("untested type")
	}
	return out
}

// refCombine is the reference operation on one element: a ∘ b.
func refCombine[T comm.Scalar](op string, a, b T) T {
	switch a := any(a).(type) {
	case int32:
		return any(refInt(op, a, any(b).(int32))).(T)
	case int64:
		return any(refInt(op, a, any(b).(int64))).(T)
	case uint8:
		return any(refInt(op, a, any(b).(uint8))).(T)
	case uint64:
		return any(refInt(op, a, any(b).(uint64))).(T)
	case float32:
		return any(refFloat(op, a, any(b).(float32))).(T)
	case float64:
		return any(refFloat(op, a, any(b).(float64))).(T)
	case complex128:
		b := any(b).(complex128)
		switch op {
		case "sum":
			return any(a + b).(T)
		case "prod":
			return any(a * b).(T)
		}
	}
	panic("no reference for " + op)
}

func refInt[I int32 | int64 | uint8 | uint64](op string, a, b I) I {
	bit := func(v bool) I {
		if v {
			return 1
		}
		return 0
	}
	switch op {
	case "sum", "usersum":
		return a + b
	case "prod":
		return a * b
	case "min":
		if b < a {
			return b
		}
		return a
	case "max":
		if b > a {
			return b
		}
		return a
	case "band":
		return a & b
	case "bor":
		return a | b
	case "bxor":
		return a ^ b
	case "land":
		return bit(a != 0 && b != 0)
	case "lor":
		return bit(a != 0 || b != 0)
	case "lxor":
		return bit((a != 0) != (b != 0))
	case "affine":
		return I(composeAffine(uint64(a), uint64(b)))
	}
	panic("no reference for " + op)
}

func refFloat[F float32 | float64](op string, a, b F) F {
	switch op {
	case "sum":
		return a + b
	case "prod":
		return a * b
	case "min":
		if b < a {
			return b
		}
		return a
	case "max":
		if b > a {
			return b
		}
		return a
	}
	panic("no reference for " + op)
}

// absOf is |v| as a float64.
func absOf[T comm.Scalar](v T) float64 {
	switch v := any(v).(type) {
	case float32:
		return math.Abs(float64(v))
	case float64:
		return math.Abs(v)
	case complex128:
		return cmplx.Abs(v)
	}
	return 0
}

// unitRoundoff is the unit roundoff of T (0 for exact types).
func unitRoundoff[T comm.Scalar]() float64 {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Float32:
		return 0x1p-24
	case reflect.Float64, reflect.Complex128:
		return 0x1p-53
	}
	return 0
}

// serialReference folds the inputs of ranks lo … hi−1 serially, in rank order,
// and returns the result with the bound on the rounding error of any
// order of evaluation: 4·k·ε·Σ|x| for sums, 4·k·ε·Π|x| for products,
// 0 for exact operations (k operands).
func serialReference[T comm.Scalar](seed uint64, n int, op string, lo, hi int) (ref []T, tol []float64) {
	// References are shared by the ranks of the process (read only): each
	// is computed once, not once per rank.
	key := fmt.Sprintf("%T/%d/%d/%s/%d/%d", *new(T), seed, n, op, lo, hi)
	e, _ := referenceMemo.LoadOrStore(key, new(referenceEntry))
	m := e.(*referenceEntry)
	m.once.Do(func() { m.ref, m.tol = referenceFold[T](seed, n, op, lo, hi) })
	return m.ref.([]T), m.tol
}

var referenceMemo sync.Map // key → *referenceEntry

type referenceEntry struct {
	once sync.Once
	ref  any
	tol  []float64
}

func referenceFold[T comm.Scalar](seed uint64, n int, op string, lo, hi int) (ref []T, tol []float64) {
	tol = make([]float64, n)
	mag := make([]float64, n)
	for r := lo; r < hi; r++ {
		in := reductionInput[T](seed, r, n, op)
		if ref == nil {
			ref = in
			for i, v := range in {
				mag[i] = absOf(v)
			}
			continue
		}
		for i := range ref {
			ref[i] = refCombine(op, ref[i], in[i])
			if op == "prod" {
				mag[i] *= absOf(in[i])
			} else {
				mag[i] += absOf(in[i])
			}
		}
	}
	if op == "sum" || op == "prod" {
		k := float64(hi - lo)
		for i := range tol {
			tol[i] = 4 * k * unitRoundoff[T]() * mag[i]
		}
	}
	return ref, tol
}

// near compares got with the reference within tol, element by element.
func near[T comm.Scalar](what string, got, want []T, tol []float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d elements, want %d", what, len(got), len(want))
	}
	bad := -1
	switch g := any(got).(type) {
	case []float32:
		w := any(want).([]float32)
		for i := range g {
			if !(math.Abs(float64(g[i])-float64(w[i])) <= tol[i]) {
				bad = i
				break
			}
		}
	case []float64:
		w := any(want).([]float64)
		for i := range g {
			if !(math.Abs(g[i]-w[i]) <= tol[i]) {
				bad = i
				break
			}
		}
	case []complex128:
		w := any(want).([]complex128)
		for i := range g {
			if !(cmplx.Abs(g[i]-w[i]) <= tol[i]) {
				bad = i
				break
			}
		}
	default:
		for i := range got {
			if got[i] != want[i] {
				bad = i
				break
			}
		}
	}
	if bad >= 0 {
		return fmt.Errorf("%s: element %d of %d is %v, want %v (tolerance %g)", what, bad, len(got), got[bad], want[bad], tol[bad])
	}
	return nil
}

// bytesOf views s as its bytes.
func bytesOf[T comm.Scalar](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*comm.SizeOf[T]())
}

// sameBits checks that every rank of c holds the same bits in v: each
// sends v to rank 0 on c's point-to-point context, which compares.
func sameBits[T comm.Scalar](c *comm.Comm, what string, v []T) error {
	const tag = 4242
	if c.Rank() != 0 {
		return comm.Send(c, v, 0, tag)
	}
	other := make([]T, len(v))
	for r := 1; r < c.Size(); r++ {
		if _, err := comm.Recv(c, other, r, tag); err != nil {
			return err
		}
		if string(bytesOf(other)) != string(bytesOf(v)) {
			return fmt.Errorf("%s: rank %d's result differs in its bits from rank 0's", what, r)
		}
	}
	return nil
}

// typedCase is a test case of one collective for one element type.
type typedCase interface {
	run(c *comm.Comm, n int, seed uint64) error
}

// eachCase runs the cases (typically one collective over the tested element
// types), stopping at the first error.
func eachCase(c *comm.Comm, n int, seed uint64, cases ...typedCase) error {
	for _, k := range cases {
		if err := k.run(c, n, seed); err != nil {
			return err
		}
	}
	return nil
}
