package sched

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/spmd-go/spmd/internal/hostlist"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeHostfile renders hosts in the Open MPI form.
func writeHostfile(hosts []Host) string {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "%s slots=%d", h.Name, h.Slots)
		if h.MaxSlots > 0 {
			fmt.Fprintf(&b, " max_slots=%d", h.MaxSlots)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// checkHosts checks what every parser here promises of the hosts it returns.
func checkHosts(t *testing.T, hosts []Host) {
	seen := map[string]bool{}
	for _, h := range hosts {
		assert.Empty(t, hostlist.CheckName(h.Name), "host %q", h.Name)
		assert.False(t, seen[h.Name], "host %q twice", h.Name)
		seen[h.Name] = true
		assert.True(t, h.Slots >= 1 && h.Slots <= MaxSlots, "slots %d", h.Slots)
	}
	assert.LessOrEqual(t, len(hosts), MaxHosts)
}

// FuzzParseHostfile checks that the hostfile parser never panics, that what
// it accepts is well formed, and that writing the hosts out again in the
// Open MPI form parses back to the same hosts.
func FuzzParseHostfile(f *testing.F) {
	for _, s := range []string{
		"node01 slots=4 max_slots=8\nnode02:2\n# c\n\nnode03\n",
		"[fe80::1]:2\n10.0.0.1 slots=1 # x\n",
		"a:0\nb slots=\n",
		"a slots=2 slots=3\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		hosts, err := ParseHostfile("fuzz", bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		require.NotEmpty(t, hosts)
		checkHosts(t, hosts)
		again, err := ParseHostfile("again", strings.NewReader(writeHostfile(hosts)))
		require.NoError(t, err)
		require.Equal(t, hosts, again)
	})
}

// FuzzParseTasksPerNode checks the count-list parser and that writing its
// result in the compressed form parses back to the same counts.
func FuzzParseTasksPerNode(f *testing.F) {
	for _, s := range []string{"2(x3),1", "72(x2),36", "1", "2(x0)", "3(x", "1,,2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		counts, err := ParseTasksPerNode(s)
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		require.NotEmpty(t, counts)
		require.LessOrEqual(t, len(counts), MaxHosts)
		var parts []string
		for i := 0; i < len(counts); {
			j := i
			for j < len(counts) && counts[j] == counts[i] {
				j++
			}
			parts = append(parts, fmt.Sprintf("%d(x%d)", counts[i], j-i))
			i = j
		}
		again, err := ParseTasksPerNode(strings.Join(parts, ","))
		require.NoError(t, err)
		require.Equal(t, counts, again)
	})
}

// FuzzParseNodefile checks the PBS node-file parser and that writing each
// host once per slot parses back to the same hosts.
func FuzzParseNodefile(f *testing.F) {
	for _, s := range []string{"n1\nn1\nn2\n", "n1\n\nn2\nn1\n", "n 1\n", "\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		hosts, err := ParseNodefile("fuzz", bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		checkHosts(t, hosts)
		var b strings.Builder
		for _, h := range hosts {
			require.Zero(t, h.MaxSlots)
			for range h.Slots {
				b.WriteString(h.Name + "\n")
			}
		}
		again, err := ParseNodefile("again", strings.NewReader(b.String()))
		require.NoError(t, err)
		require.Equal(t, hosts, again)
	})
}
