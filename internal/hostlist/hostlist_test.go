package hostlist

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"tux0", []string{"tux0"}},
		{"tux[0-3,12]", []string{"tux0", "tux1", "tux2", "tux3", "tux12"}},
		{"linux[01-03]b", []string{"linux01b", "linux02b", "linux03b"}},
		{"n[8-10]", []string{"n8", "n9", "n10"}},
		{"n[098-100]", []string{"n098", "n099", "n100"}},
		{"a[0-1].b[0-1]", []string{"a0.b0", "a0.b1", "a1.b0", "a1.b1"}},
		{"n1,n[3-4],gpu[7]", []string{"n1", "n3", "n4", "gpu7"}},
		{"[1-2]x", []string{"1x", "2x"}},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestExpandErrors(t *testing.T) {
	for _, in := range []string{"", "a,", "a[1-", "a]", "a[[1]]", "a[3-1]", "a[x]", "a[]", "a[1-2-3]",
		"a[0-99999]", "a[0-999]b[0-999]", "a[1234567890]", "a/b"} {
		_, err := Expand(in)
		assert.ErrorIs(t, err, ErrSyntax, in)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"n1", "node-01.example.org", "10.0.0.1", "[fe80::1%eth0]", "a_b"} {
		assert.Empty(t, CheckName(ok), ok)
	}
	for _, bad := range []string{"", "a:1", "a=b", "a#", "a,b", "[]", "a b", "n[1]", strings.Repeat("a", 256)} {
		assert.NotEmpty(t, CheckName(bad), bad)
	}
}

// FuzzExpand checks that the expander never panics, stays within its
// bounds, yields only valid host names, and expands each comma-separated
// item on its own.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"tux[0-5,12]", "a[01-03]b", "a[0-1].b[0-1]", "n1,n[3-4]", "x[9-10]", "a[3-1]", "a[[1]]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := Expand(s)
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		require.NotEmpty(t, names)
		require.LessOrEqual(t, len(names), MaxHosts)
		for _, n := range names {
			require.Empty(t, CheckName(n), n)
		}
		// Expanding the expansion gives it back.
		again, err := Expand(strings.Join(names, ","))
		require.NoError(t, err)
		require.Equal(t, names, again)
	})
}
