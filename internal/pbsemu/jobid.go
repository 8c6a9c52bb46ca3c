package pbsemu

import (
	"fmt"
	"strconv"
	"strings"
)

// Array is a job array's index set: -J X-Y[:Z][%max] (OpenPBS) or
// -t list[%max] (Torque).
type Array struct {
	Indices []int
	// Max is the most subjobs that run at once; 0 is no limit.
	Max int
}

// maxArrayIndices bounds an array's size, as a server's
// max_array_size does (OpenPBS's default is 10000).
const maxArrayIndices = 10000

// ParseArray parses an array range. OpenPBS takes "X-Y[:Z]" with X < Y
// and step Z ≥ 1 (a one-index array is refused); Torque takes a comma
// list of indices and ranges "A-B". Both take a "%max" suffix limiting
// how many subjobs run at once.
func ParseArray(d Dialect, s string) (*Array, error) {
	a := &Array{}
	if body, max, ok := strings.Cut(s, "%"); ok {
		m, err := strconv.Atoi(max)
		if err != nil || m < 1 {
			return nil, fmt.Errorf("bad array limit %q", max)
		}
		a.Max, s = m, body
	}
	num := func(t string) (int, error) {
		if t == "" || strings.Trim(t, "0123456789") != "" || len(t) > 7 {
			return 0, fmt.Errorf("bad array index %q", t)
		}
		return strconv.Atoi(t)
	}
	if d == OpenPBS {
		rng, step, hasStep := strings.Cut(s, ":")
		lo, hi, ok := strings.Cut(rng, "-")
		if !ok {
			return nil, fmt.Errorf("array range %q: want X-Y[:Z]", s)
		}
		x, err1 := num(lo)
		y, err2 := num(hi)
		z := 1
		var err3 error
		if hasStep {
			z, err3 = num(step)
		}
		if err1 != nil || err2 != nil || err3 != nil || x >= y || z < 1 {
			return nil, fmt.Errorf("array range %q: want X-Y[:Z], X < Y, Z ≥ 1", s)
		}
		if (y-x)/z+1 > maxArrayIndices {
			return nil, fmt.Errorf("array of more than %d subjobs", maxArrayIndices)
		}
		for i := x; i <= y; i += z {
			a.Indices = append(a.Indices, i)
		}
	} else {
		seen := map[int]bool{}
		for _, part := range strings.Split(s, ",") {
			lo, hi, isRange := strings.Cut(part, "-")
			x, err := num(lo)
			if err != nil {
				return nil, err
			}
			y := x
			if isRange {
				if y, err = num(hi); err != nil || y < x {
					return nil, fmt.Errorf("array range %q", part)
				}
			}
			for i := x; i <= y; i++ {
				if !seen[i] {
					seen[i] = true
					a.Indices = append(a.Indices, i)
				}
				if len(a.Indices) > maxArrayIndices {
					break
				}
			}
		}
	}
	if len(a.Indices) > maxArrayIndices {
		return nil, fmt.Errorf("array of more than %d subjobs", maxArrayIndices)
	}
	return a, nil
}

// JobID is the id qsub prints for job seq of server: "<seq>.<server>".
func JobID(seq int, server string) string { return fmt.Sprintf("%d.%s", seq, server) }

// ArrayJobID is the id of array job seq: "<seq>[].<server>".
func ArrayJobID(seq int, server string) string { return fmt.Sprintf("%d[].%s", seq, server) }

// SubjobID is the id of index idx of array job seq: "<seq>[<idx>].<server>".
func SubjobID(seq, idx int, server string) string {
	return fmt.Sprintf("%d[%d].%s", seq, idx, server)
}

// OutputName is the default name of a job's output (stream 'o') or error
// (stream 'e') file in its submit directory: "<name>.o<seq>", for an
// OpenPBS subjob "<name>.o<seq>.<index>" and for a Torque one
// "<name>.o<seq>-<index>". index < 0 means not a subjob.
func OutputName(d Dialect, name string, stream byte, seq, index int) string {
	s := fmt.Sprintf("%s.%c%d", name, stream, seq)
	if index >= 0 {
		sep := "."
		if d == Torque {
			sep = "-"
		}
		s += sep + strconv.Itoa(index)
	}
	return s
}

// JobRef is a job id as a user types it to qstat or qdel: "123",
// "123.server", "123[]", "123[4].server".
type JobRef struct {
	Seq   int
	Index int // -1: the whole job (or a plain job); ≥ 0: one subjob
	Array bool
}

// ParseJobRef parses a job id, whose server part, if any, must be server.
func ParseJobRef(s, server string) (JobRef, error) {
	r := JobRef{Index: -1}
	id := s
	if head, srv, ok := strings.Cut(s, "."); ok {
		if srv != server {
			return r, fmt.Errorf("unknown server %q in job id %q", srv, s)
		}
		id = head
	}
	if open := strings.IndexByte(id, '['); open >= 0 {
		if !strings.HasSuffix(id, "]") {
			return r, fmt.Errorf("bad job id %q", s)
		}
		inner := id[open+1 : len(id)-1]
		id = id[:open]
		r.Array = true
		if inner != "" {
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return r, fmt.Errorf("bad job id %q", s)
			}
			r.Index = n
		}
	}
	n, err := strconv.Atoi(id)
	if err != nil || n < 0 || id == "" || strings.Trim(id, "0123456789") != "" {
		return r, fmt.Errorf("bad job id %q", s)
	}
	r.Seq = n
	return r, nil
}
