package profile

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spmd-go/spmd/internal/profdata"
)

const maxBuckets = profdata.HistBuckets

// Bytes formats a byte count with binary prefixes: 512 B, 8 KiB, 1.5 MiB.
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	v, i := float64(n), 0
	for v >= unit && i < 6 {
		v /= unit
		i++
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " " + "KMGTPE"[i-1:i] + "iB"
}

// BucketLabel names a size bucket: "0 B", "8-15 B", "1-2 KiB", "≥ 128 GiB".
func BucketLabel(b int) string {
	lo, hi := BucketRange(b)
	switch {
	case hi == 0:
		return "0 B"
	case hi < 0:
		return "≥ " + Bytes(lo)
	case lo == uint64(hi):
		return Bytes(lo)
	case hi < 1024:
		return fmt.Sprintf("%d-%d B", lo, hi)
	}
	// Above 1 KiB a bucket [2^k, 2^(k+1)) reads "1-2 KiB": from 1 KiB to
	// just under 2 KiB.
	from, to := Bytes(lo), Bytes(uint64(hi)+1)
	na, ua, _ := strings.Cut(from, " ")
	nb, ub, _ := strings.Cut(to, " ")
	if ua == ub {
		return na + "-" + nb + " " + ua
	}
	return from + "-" + to
}

// Duration formats seconds with a unit that suits them: 850 ns, 12.5 µs,
// 3.2 ms, 1.25 s.
func Duration(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 1e-6:
		return strconv.FormatFloat(s*1e9, 'f', 0, 64) + " ns"
	case s < 1e-3:
		return strconv.FormatFloat(s*1e6, 'g', 3, 64) + " µs"
	case s < 1:
		return strconv.FormatFloat(s*1e3, 'g', 3, 64) + " ms"
	}
	return strconv.FormatFloat(s, 'g', 3, 64) + " s"
}

// RankList formats sorted ranks compactly: "0-2,5,7-8".
func RankList(ranks []int) string {
	var b strings.Builder
	for i := 0; i < len(ranks); {
		j := i
		for j+1 < len(ranks) && ranks[j+1] == ranks[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ranks[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(ranks[j]))
		}
		i = j + 1
	}
	return b.String()
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// plural formats a count of things: "1 host", "3 hosts".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
