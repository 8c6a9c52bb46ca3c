package collective

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/spmd-go/spmd/comm"
)

// ErrOp: the reduction operation is not defined for the element type (Min
// on complex numbers, a bitwise operation on floats, a user operation made
// for another type, the zero Op). It is reported by every rank before any
// message moves, so no rank waits for another. Errors wrapping it also wrap
// comm.ErrArg.
var ErrOp = errors.New("reduction operation not defined for this element type")

// Op is a reduction operation: an associative binary operation ∘ applied
// element by element. Op is a small value, copied freely and comparable.
// The zero Op is invalid; collectives given it return an error wrapping
// ErrOp.
//
// The predefined operations are those of MPI. Sum and Prod are defined for
// every comm.Scalar type, Min and Max for integers and floats (not complex),
// and the logical (Land, Lor, Lxor: nonzero is true, the result is 1 or 0)
// and bitwise (Band, Bor, Bxor) operations for integers only. All are
// commutative. Min and Max follow Go's min and max builtins: a NaN operand
// gives NaN, and Min(-0, +0) is -0.
//
// Users make their own with NewOp.
type Op struct {
	kind opKind
	user *userOp // kind == opUser
}

// opKind names a predefined operation; opUser marks a user operation.
type opKind uint8

const (
	opInvalid opKind = iota
	opSum
	opProd
	opMin
	opMax
	opLand
	opLor
	opLxor
	opBand
	opBor
	opBxor
	opUser
)

var opNames = [...]string{"invalid", "sum", "prod", "min", "max", "land", "lor", "lxor", "band", "bor", "bxor", "user"}

// userOp is a user operation: fn is a func(inout, in []T) for one T.
type userOp struct {
	fn          any
	commutative bool
	elem        reflect.Type // T
}

// The predefined reduction operations (MPI_SUM, MPI_PROD, …).
var (
	Sum  = Op{kind: opSum}  // x + y
	Prod = Op{kind: opProd} // x * y
	Min  = Op{kind: opMin}  // min(x, y); not for complex types
	Max  = Op{kind: opMax}  // max(x, y); not for complex types
	Land = Op{kind: opLand} // x != 0 && y != 0, as 1 or 0; integers only
	Lor  = Op{kind: opLor}  // x != 0 || y != 0, as 1 or 0; integers only
	Lxor = Op{kind: opLxor} // (x != 0) != (y != 0), as 1 or 0; integers only
	Band = Op{kind: opBand} // x & y; integers only
	Bor  = Op{kind: opBor}  // x | y; integers only
	Bxor = Op{kind: opBxor} // x ^ y; integers only
)

// NewOp makes a reduction operation on []T from f, which must set
//
//	inout[i] = inout[i] ∘ in[i]   for every i
//
// where inout is the LEFT operand: it always holds the contribution of
// lower ranks, in the contribution of higher ranks. So for a
// non-commutative ∘ the collectives compute x0 ∘ x1 ∘ … ∘ x(p-1), the ranks'
// vectors in rank order (as MPI does), whatever the algorithm; ∘ must be
// associative. With commutative true the collectives may also combine in
// other orders, which allows faster algorithms for large vectors.
//
// f gets slices of equal length, which it must not retain; in must not be
// modified. f runs on the goroutine of the collective call (or of the
// non-blocking collective's progress). The Op works only on []T of that
// exact element type T; a nil f gives an Op that every collective rejects
// with an error wrapping ErrOp.
func NewOp[T comm.Scalar](f func(inout, in []T), commutative bool) Op {
	if f == nil {
		return Op{}
	}
	return Op{kind: opUser, user: &userOp{fn: f, commutative: commutative, elem: reflect.TypeFor[T]()}}
}

// Commutative reports whether op may be applied in any order.
func (op Op) Commutative() bool {
	if op.kind == opUser {
		return op.user.commutative
	}
	return op.kind != opInvalid
}

// String returns the operation's name: "sum", "max", …, "user".
func (op Op) String() string {
	if int(op.kind) < len(opNames) {
		return opNames[op.kind]
	}
	return opNames[opInvalid]
}

// checkOp reports whether op can reduce []T: every collective checks it on
// every rank before the first message, so all ranks fail alike.
func checkOp[T comm.Scalar](op Op) error {
	t := reflect.TypeFor[T]()
	fail := func() error {
		return fmt.Errorf("collective: op %s on []%v: %w: %w", op, t, ErrOp, comm.ErrArg)
	}
	switch op.kind {
	case opInvalid:
		return fail()
	case opUser:
		if _, ok := op.user.fn.(func(inout, in []T)); !ok {
			return fmt.Errorf("collective: user op for []%v on []%v: %w: %w", op.user.elem, t, ErrOp, comm.ErrArg)
		}
		return nil
	case opSum, opProd:
		return nil
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		if op.kind == opMin || op.kind == opMax {
			return nil
		}
	case reflect.Complex64, reflect.Complex128:
	default: // integers
		return nil
	}
	return fail()
}

// reduceInto sets inout[i] = inout[i] ∘ in[i]: inout is the left operand
// (the lower ranks' contribution) and receives the result. op must have
// passed checkOp for T and the lengths must agree.
func reduceInto[T comm.Scalar](op Op, inout, in []T) error {
	if len(inout) != len(in) {
		return fmt.Errorf("collective: reduce %d elements with %d: %w", len(inout), len(in), comm.ErrArg)
	}
	if op.kind == opUser {
		f, ok := op.user.fn.(func(inout, in []T))
		if !ok {
			return checkOp[T](op)
		}
		f(inout, in)
		return nil
	}
	return apply(op.kind, inout, inout, in)
}

// reduceLeftInto sets inout[i] = in[i] ∘ inout[i]: in is the left operand
// (the lower ranks' contribution) and inout receives the result. A user
// operation writes its result into its left operand, so it needs tmp
// (len(in) elements, not aliasing either) for a copy; predefined operations
// ignore tmp.
func reduceLeftInto[T comm.Scalar](op Op, in, inout, tmp []T) error {
	if len(inout) != len(in) {
		return fmt.Errorf("collective: reduce %d elements with %d: %w", len(in), len(inout), comm.ErrArg)
	}
	if op.kind == opUser {
		if len(tmp) < len(in) {
			return fmt.Errorf("collective: reduce: scratch too small: %w", comm.ErrArg)
		}
		tmp = tmp[:len(in)]
		copyHot(tmp, in)
		if err := reduceInto(op, tmp, inout); err != nil {
			return err
		}
		copyHot(inout, tmp)
		return nil
	}
	return apply(op.kind, inout, in, inout)
}
