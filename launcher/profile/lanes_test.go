package profile

import "testing"

func TestAssignLanes(t *testing.T) {
	span := func(a, b int64) Slice { return Slice{Start: a, End: b} }
	for _, tc := range []struct {
		name  string
		in    []Slice
		lanes []int
		n     int
	}{
		{"none", nil, []int{}, 0},
		{"disjoint", []Slice{span(0, 1), span(2, 3), span(3, 4)}, []int{0, 0, 0}, 1},
		{"nested", []Slice{span(1, 2), span(0, 10), span(3, 9), span(4, 5)}, []int{0, 0, 0, 0}, 1},
		{"same span", []Slice{span(0, 5), span(0, 5)}, []int{0, 0}, 1},
		{"overlap", []Slice{span(0, 5), span(3, 8)}, []int{0, 1}, 2},
		{"overlap reuses", []Slice{span(0, 5), span(3, 8), span(6, 7), span(9, 12)}, []int{0, 1, 0, 0}, 2},
		{"three goroutines", []Slice{span(0, 9), span(1, 10), span(2, 11)}, []int{0, 1, 2}, 3},
	} {
		got, n := AssignLanes(tc.in)
		if n != tc.n || len(got) != len(tc.lanes) {
			t.Errorf("%s: %v in %d lanes, want %v in %d", tc.name, got, n, tc.lanes, tc.n)
			continue
		}
		for i := range got {
			if got[i] != tc.lanes[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.lanes)
				break
			}
		}
		// Whatever the assignment, slices sharing a lane nest or are disjoint.
		for i := range tc.in {
			for j := range tc.in {
				a, b := tc.in[i], tc.in[j]
				if i == j || got[i] != got[j] {
					continue
				}
				overlap := a.Start < b.End && b.Start < a.End
				nests := (a.Start <= b.Start && b.End <= a.End) || (b.Start <= a.Start && a.End <= b.End)
				if overlap && !nests {
					t.Errorf("%s: %v and %v cross on lane %d", tc.name, a, b, got[i])
				}
			}
		}
	}
}
