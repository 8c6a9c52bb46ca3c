package jobnames

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeys pins the keys: they are read by programs built from other
// versions of this module (an spmdrun and the ranks it launches need not be
// built together), so changing one is a protocol change.
func TestKeys(t *testing.T) {
	for got, want := range map[string]string{
		CardKey(3):        "spmd-card-3",
		LostKey(0):        "spmd-lost-0",
		BlockedKey(12, 7): "spmd-blocked-12-7",
		SpanKey(2):        "spmd-span-2",
		CookieKey:         "spmd-cookie",
	} {
		assert.Equal(t, want, got)
	}
}

func TestParseBlockedKey(t *testing.T) {
	for key, want := range map[string][2]int{
		"spmd-blocked-0-0":           {0, 0},
		"spmd-blocked-12-7":          {12, 7},
		BlockedKey(math.MaxInt32, 1): {math.MaxInt32, 1},
	} {
		rank, seq, ok := ParseBlockedKey(key)
		assert.True(t, ok, key)
		assert.Equal(t, want, [2]int{rank, seq}, key)
	}
	for _, key := range []string{"spmd-blocked-", "spmd-blocked-1", "spmd-blocked-1-", "spmd-blocked--1",
		"spmd-blocked-1-2-3", "spmd-blocked-x-1", "spmd-card-1", "spmd-blocked-99999999999-0",
		"spmd-blocked-2147483648-0", "spmd-blocked-+1-0", "spmd-blocked- 1-0"} {
		_, _, ok := ParseBlockedKey(key)
		assert.False(t, ok, key)
	}
}

// FuzzParseBlockedKey checks that the parser never panics, that what it
// accepts is in range, and that the key BlockedKey writes for the result
// parses back to it.
func FuzzParseBlockedKey(f *testing.F) {
	for _, s := range []string{"spmd-blocked-0-0", "spmd-blocked-12-7", "spmd-blocked-007-1", "spmd-blocked-1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		rank, seq, ok := ParseBlockedKey(key)
		if !ok {
			return
		}
		require.True(t, rank >= 0 && rank <= math.MaxInt32 && seq >= 0 && seq <= math.MaxInt32)
		r2, s2, ok := ParseBlockedKey(BlockedKey(rank, seq))
		require.True(t, ok)
		require.Equal(t, [2]int{rank, seq}, [2]int{r2, s2})
	})
}
