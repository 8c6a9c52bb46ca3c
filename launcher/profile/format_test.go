package profile

import (
	"testing"

	"github.com/spmd-go/spmd/internal/profdata"
)

func TestBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 8 << 20: "8 MiB", 3 << 40: "3 TiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBucketLabel(t *testing.T) {
	for b, want := range map[int]string{
		0: "0 B", 1: "1 B", 2: "2-3 B", 4: "8-15 B", 10: "512-1023 B", 11: "1-2 KiB", 20: "512 KiB-1 MiB",
		profdata.HistBuckets - 1: "≥ 256 GiB",
	} {
		if got := BucketLabel(b); got != want {
			t.Errorf("BucketLabel(%d) = %q, want %q", b, got, want)
		}
	}
	// bucketOf and BucketRange agree on every bucket's bounds.
	for b := range profdata.HistBuckets {
		lo, hi := BucketRange(b)
		if bucketOf(lo) != b || (hi > 0 && bucketOf(uint64(hi)) != b) {
			t.Errorf("bucket %d: range %d..%d, bucketOf gives %d..%d", b, lo, hi, bucketOf(lo), bucketOf(uint64(hi)))
		}
	}
}

func TestDuration(t *testing.T) {
	for s, want := range map[float64]string{0: "0", 850e-9: "850 ns", 12.5e-6: "12.5 µs", 3.2e-3: "3.2 ms", 1.25: "1.25 s"} {
		if got := Duration(s); got != want {
			t.Errorf("Duration(%v) = %q, want %q", s, got, want)
		}
	}
}

func TestRankList(t *testing.T) {
	for want, ranks := range map[string][]int{"": nil, "3": {3}, "0-2,5,7-8": {0, 1, 2, 5, 7, 8}} {
		if got := RankList(ranks); got != want {
			t.Errorf("RankList(%v) = %q, want %q", ranks, got, want)
		}
	}
}
