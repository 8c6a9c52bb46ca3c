package main

// mergeRuns merges the sorted runs that lie back to back in keys, run i
// holding counts[i] keys, and returns the sorted result (keys itself for a
// single run). Runs are merged in pairs, round after round, so each key
// moves ⌈log₂ len(counts)⌉ times.
func mergeRuns(keys []int64, counts []int) []int64 {
	// bounds[i] is where run i starts; bounds[len] = len(keys).
	bounds := make([]int, 0, len(counts)+1)
	at := 0
	for _, c := range counts {
		bounds = append(bounds, at)
		at += c
	}
	bounds = append(bounds, at)
	src, dst := keys, make([]int64, len(keys))
	for len(bounds) > 2 {
		next := bounds[:0:0]
		for i := 0; i+1 < len(bounds); i += 2 {
			lo := bounds[i]
			next = append(next, lo)
			if i+2 < len(bounds) {
				mid, hi := bounds[i+1], bounds[i+2]
				merge(dst[lo:hi], src[lo:mid], src[mid:hi])
			} else { // an odd run out
				copy(dst[lo:bounds[i+1]], src[lo:bounds[i+1]])
			}
		}
		next = append(next, bounds[len(bounds)-1])
		bounds, src, dst = next, dst, src
	}
	return src
}

// merge writes the sorted a and b into dst, whose length is len(a)+len(b);
// of equal keys, a's come first.
func merge(dst, a, b []int64) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}
