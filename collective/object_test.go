package collective

import (
	"encoding/gob"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

type record struct {
	Rank  int
	Name  string
	Vals  []float64
	Attrs map[string]int
}

func recordOf(r int) record {
	return record{Rank: r, Name: fmt.Sprint("rank-", r), Vals: inputOf[float64](r*3, 5, r), Attrs: map[string]int{"x": r}}
}

func sameRecord(got, want record) error {
	if got.Rank != want.Rank || got.Name != want.Name || got.Attrs["x"] != want.Attrs["x"] || len(got.Attrs) != len(want.Attrs) {
		return fmt.Errorf("record %+v, want %+v", got, want)
	}
	return sameElems("record values", got.Vals, want.Vals)
}

// TestObjectCollectives checks BcastObj, GatherObj, ScatterObj and
// AllgatherObj with a struct of slices and maps, every root.
func TestObjectCollectives(t *testing.T) {
	for _, p := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			onRanks(t, p, func(c *comm.Comm) error {
				me := c.Rank()
				for root := range p {
					var in record
					if me == root {
						in = recordOf(root)
					}
					got, err := BcastObj(c, in, root)
					if err != nil {
						return err
					}
					if err := sameRecord(got, recordOf(root)); err != nil {
						return fmt.Errorf("bcastobj: %w", err)
					}

					all, err := GatherObj(c, recordOf(me), root)
					if err != nil {
						return err
					}
					if me != root && all != nil {
						return fmt.Errorf("gatherobj: non-root got %v", all)
					}
					if me == root {
						if len(all) != p {
							return fmt.Errorf("gatherobj: %d values", len(all))
						}
						for r := range p {
							if err := sameRecord(all[r], recordOf(r)); err != nil {
								return fmt.Errorf("gatherobj: %w", err)
							}
						}
					}

					var vs []string
					if me == root {
						for r := range p {
							vs = append(vs, fmt.Sprintf("for %d from %d", r, root))
						}
					}
					s, err := ScatterObj(c, vs, root)
					if err != nil {
						return err
					}
					if want := fmt.Sprintf("for %d from %d", me, root); s != want {
						return fmt.Errorf("scatterobj: %q, want %q", s, want)
					}
				}
				all, err := AllgatherObj(c, recordOf(me))
				if err != nil {
					return err
				}
				for r := range p {
					if err := sameRecord(all[r], recordOf(r)); err != nil {
						return fmt.Errorf("allgatherobj: %w", err)
					}
				}
				return nil
			})
		})
	}
}

// TestObjectErrors: a value that cannot be encoded (a func) fails on every
// rank that needed it, and the next collective still works.
func TestObjectErrors(t *testing.T) {
	onRanks(t, 3, func(c *comm.Comm) error {
		me := c.Rank()
		var f func()
		if me == 1 {
			f = func() {}
		}
		if _, err := BcastObj(c, f, 1); err == nil {
			return errors.New("bcastobj of a func: no error")
		}
		if _, err := AllgatherObj(c, f); err == nil {
			return errors.New("allgatherobj of a func: no error")
		}
		_, err := GatherObj(c, f, 0)
		if (me == 0 || me == 1) && err == nil {
			return fmt.Errorf("gatherobj of a func: no error at rank %d", me)
		}
		var vs []int
		if me == 0 {
			vs = []int{1, 2} // one short
		}
		if _, err := ScatterObj(c, vs, 0); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("scatterobj with too few values: %v, want ErrArg", err)
		}
		got, err := BcastObj(c, me*10+1, 2)
		if err != nil || got != 21 {
			return fmt.Errorf("bcastobj after errors: %v, %v", got, err)
		}
		return nil
	})
}

// TestObjectCollectivesFastTypes runs the object collectives on values of
// the fast types, a BinaryMarshaler and an interface type, on 1 to 5 ranks,
// and AllreduceObj on records over several calls (gob streams whose type
// descriptions went with the first).
func TestObjectCollectivesFastTypes(t *testing.T) {
	for p := 1; p <= 5; p++ {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			onRanks(t, p, func(c *comm.Comm) error {
				me := c.Rank()
				b, err := BcastObj(c, []byte(fmt.Sprint("from ", me)), p-1)
				if err != nil || string(b) != fmt.Sprint("from ", p-1) {
					return fmt.Errorf("bcastobj []byte: %q, %v", b, err)
				}
				fs, err := AllgatherObj(c, []float64{float64(me), 0.5})
				if err != nil {
					return err
				}
				for r, f := range fs {
					if len(f) != 2 || f[0] != float64(r) || f[1] != 0.5 {
						return fmt.Errorf("allgatherobj []float64: %v", fs)
					}
				}
				var a any = fmt.Sprint(me)
				as, err := GatherObj(c, a, 0)
				if err != nil {
					return err
				}
				for r, v := range as {
					if v != fmt.Sprint(r) {
						return fmt.Errorf("gatherobj any: %v", as)
					}
				}
				deg, err := BcastObj(c, binaryDeg(me+1), 0)
				if err != nil || deg != 1 {
					return fmt.Errorf("bcastobj BinaryMarshaler: %v, %v", deg, err)
				}
				sum, err := AllreduceObj(c, me, func(a, b int) int { return a + b })
				if err != nil || sum != p*(p-1)/2 {
					return fmt.Errorf("allreduceobj int: %v, %v", sum, err)
				}
				for call := range 3 {
					got, err := AllreduceObj(c, recordOf(me+call), func(a, b record) record {
						a.Rank += b.Rank
						a.Vals = append(a.Vals, b.Vals...)
						return a
					})
					if err != nil {
						return err
					}
					want, vals := 0, 0
					for r := range p {
						want += r + call
						vals += len(recordOf(r + call).Vals)
					}
					if got.Rank != want || len(got.Vals) != vals {
						return fmt.Errorf("allreduceobj record, call %d: rank %d (want %d), %d values (want %d)", call, got.Rank, want, len(got.Vals), vals)
					}
				}
				return nil
			})
		})
	}
}

// binaryDeg travels as MarshalBinary's bytes.
type binaryDeg int

func (d binaryDeg) MarshalBinary() ([]byte, error) { return []byte{byte(d)}, nil }

func (d *binaryDeg) UnmarshalBinary(b []byte) error {
	if len(b) != 1 {
		return fmt.Errorf("binaryDeg of %d bytes", len(b))
	}
	*d = binaryDeg(b[0])
	return nil
}

// TestAllreduceObjSlices reduces numeric slices, small and past the eager
// limit, on 1 to 5 ranks, three calls in a row, with functions that
// return a new slice, return their second argument (the received value:
// its memory then belongs to the result and must not be received into
// again) and add into their first; every call's result is checked again
// after the last call, so a result overwritten by a later call fails.
func TestAllreduceObjSlices(t *testing.T) {
	fs := map[string]func(a, b []float64) []float64{
		"new": func(a, b []float64) []float64 {
			out := make([]float64, len(a))
			for i := range a {
				out[i] = a[i] + b[i]
			}
			return out
		},
		"second": func(a, b []float64) []float64 {
			for i := range b {
				b[i] += a[i]
			}
			return b
		},
		"first": func(a, b []float64) []float64 {
			for i := range a {
				a[i] += b[i]
			}
			return a
		},
	}
	for name, f := range fs {
		for _, n := range []int{1, 7, 64<<10/8 + 3, 1 << 17} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				for p := 1; p <= 5; p++ {
					onRanks(t, p, func(c *comm.Comm) error {
						var results [][]float64
						for call := range 3 {
							v := make([]float64, n) // f "first" may write it
							for i := range v {
								v[i] = float64(c.Rank()*1000 + call*7 + i%13)
							}
							got, err := AllreduceObj(c, v, f)
							if err != nil {
								return err
							}
							results = append(results, got)
						}
						for call, got := range results {
							if len(got) != n {
								return fmt.Errorf("p %d call %d: %d elements", p, call, len(got))
							}
							for i, x := range got {
								want := float64(1000*p*(p-1)/2 + p*(call*7+i%13))
								if x != want {
									return fmt.Errorf("p %d call %d: element %d is %v, want %v", p, call, i, x, want)
								}
							}
						}
						return nil
					})
				}
			})
		}
	}
}

// TestBcastObjPlain broadcasts values whose bytes travel as they are
// (slices, strings, a BinaryMarshaler, into an interface), small and
// large, with every bcast algorithm on 1 to 5 ranks: the root keeps v
// untouched, the others get equal copies; a rank that asks for another
// type fails with ErrDecode while the others succeed.
func TestBcastObjPlain(t *testing.T) {
	big := make([]float64, 64<<10/8+3)
	for i := range big {
		big[i] = float64(i) / 3
	}
	text := strings.Repeat("spmd ", 20000)
	for _, alg := range []string{"", "binomial", "scatter_allgather", "scatter_ring", "linear"} {
		t.Run(alg, func(t *testing.T) {
			for p := 1; p <= 5; p++ {
				onRanks(t, p, func(c *comm.Comm) error {
					c = forcing(c, "bcast", alg)
					root := p / 2
					for _, n := range []int{0, 1, len(big)} {
						in := append([]float64(nil), big[:n]...)
						got, err := BcastObj(c, in, root)
						if err != nil || !slices.Equal(got, big[:n]) || !slices.Equal(in, big[:n]) {
							return fmt.Errorf("[]float64 of %d: %d elements, %v", n, len(got), err)
						}
					}
					s, err := BcastObj(c, text, root)
					if err != nil || s != text {
						return fmt.Errorf("string: %d bytes, %v", len(s), err)
					}
					var v any = big
					a, err := BcastObj(c, v, root)
					if f, ok := a.([]float64); err != nil || !ok || !slices.Equal(f, big) {
						return fmt.Errorf("into any: %T, %v", a, err)
					}
					deg, err := BcastObj(c, binaryDeg(7), root)
					if err != nil || deg != 7 {
						return fmt.Errorf("BinaryMarshaler: %v, %v", deg, err)
					}
					if c.Rank() != root && c.Rank()%2 == 1 {
						_, err := BcastObj(c, []int32(nil), root) // another type than the root's
						if !errors.Is(err, comm.ErrDecode) {
							return fmt.Errorf("into []int32: %v", err)
						}
					} else if got, err := BcastObj(c, big, root); err != nil || !slices.Equal(got, big) {
						return fmt.Errorf("beside a wrong type: %v", err)
					}
					if n, err := BcastObj(c, c.Rank(), root); err != nil || n != root {
						return fmt.Errorf("after a wrong type: %v, %v", n, err)
					}
					return nil
				})
			}
		})
	}
}

// bcastVec is a named slice type, sent inside an interface.
type bcastVec []float64

func init() { gob.Register(bcastVec{}) }

// TestBcastObjInterfaceKeepsType broadcasts values of a named type and of
// an unnamed one inside an interface: each arrives with its own type.
func TestBcastObjInterfaceKeepsType(t *testing.T) {
	onRanks(t, 3, func(c *comm.Comm) error {
		for _, v := range []any{bcastVec{1, 2}, []float64{3}, "s", []byte{4}} {
			got, err := BcastObj(c, v, 1)
			if err != nil || reflect.TypeOf(got) != reflect.TypeOf(v) || !reflect.DeepEqual(got, v) {
				return fmt.Errorf("%T: got %T %v, %v", v, got, got, err)
			}
		}
		return nil
	})
}

// TestObjectCollectivesRepeated runs the gathering object collectives
// many times with sizes that change from call to call, so that encodings
// reuse each other's pooled buffers: every result must be the value sent
// in that call.
func TestObjectCollectivesRepeated(t *testing.T) {
	for p := 1; p <= 4; p++ {
		onRanks(t, p, func(c *comm.Comm) error {
			me := c.Rank()
			valueOf := func(r, call int) []float64 {
				v := make([]float64, []int{3, 9000, 0, 17, 70000}[call%5])
				for i := range v {
					v[i] = float64(r*100 + call + i%7)
				}
				return v
			}
			for call := range 10 {
				all, err := AllgatherObj(c, valueOf(me, call))
				if err != nil {
					return err
				}
				for r, got := range all {
					if !slices.Equal(got, valueOf(r, call)) {
						return fmt.Errorf("allgatherobj call %d: rank %d's value differs", call, r)
					}
				}
				root := call % p
				gathered, err := GatherObj(c, valueOf(me, call), root)
				if err != nil {
					return err
				}
				for r, got := range gathered {
					if !slices.Equal(got, valueOf(r, call)) {
						return fmt.Errorf("gatherobj call %d: rank %d's value differs", call, r)
					}
				}
				var vs [][]float64
				if me == root {
					for r := range p {
						vs = append(vs, valueOf(r, call+1))
					}
				}
				mine, err := ScatterObj(c, vs, root)
				if err != nil || !slices.Equal(mine, valueOf(me, call+1)) {
					return fmt.Errorf("scatterobj call %d: %d elements, %v", call, len(mine), err)
				}
				s, err := BcastObj(c, objPointOf(call), root)
				if err != nil || s != objPointOf(call) {
					return fmt.Errorf("bcastobj call %d: %+v, %v", call, s, err)
				}
			}
			return nil
		})
	}
}

type bcastPoint struct {
	X    int
	Name string
}

func objPointOf(call int) bcastPoint { return bcastPoint{call, fmt.Sprint("call ", call)} }
