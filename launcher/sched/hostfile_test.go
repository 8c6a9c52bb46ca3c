package sched

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHostfile(t *testing.T) {
	const text = `# a cluster
node01 slots=4 max_slots=8   # Open MPI form
node02:2                     # MPICH form

	node03
node04 max-slots=3 slots=1
[fe80::1]:2
10.0.0.7:1
node03:2   # repeated: merged with the first node03
`
	hosts, err := ParseHostfile("hosts.txt", strings.NewReader(text))
	require.NoError(t, err)
	assert.Equal(t, []Host{
		{Name: "node01", Slots: 4, MaxSlots: 8},
		{Name: "node02", Slots: 2},
		{Name: "node03", Slots: 3},
		{Name: "node04", Slots: 1, MaxSlots: 3},
		{Name: "[fe80::1]", Slots: 2},
		{Name: "10.0.0.7", Slots: 1},
	}, hosts)
}

func TestParseHostfileCRLF(t *testing.T) {
	hosts, err := ParseHostfile("h", strings.NewReader("a:2\r\nb slots=3\r\n"))
	require.NoError(t, err)
	assert.Equal(t, []Host{{Name: "a", Slots: 2}, {Name: "b", Slots: 3}}, hosts)
}

func TestParseHostfileErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"a\nb:x\n", "hosts:2: syntax error: host b: invalid count \"x\""},
		{"a:0\n", "hosts:1: syntax error: host a: invalid count \"0\""},
		{"a slots=2 slots=3\n", "hosts:1: syntax error: slots given twice for host a"},
		{"a:2 slots=3\n", "hosts:1: syntax error: slots given twice for host a"},
		{"a cpus=2\n", `hosts:1: syntax error: unknown attribute "cpus" for host a`},
		{"a b\n", `hosts:1: syntax error: unexpected "b" after host a`},
		{"a slots=4 max_slots=2\n", "hosts:1: syntax error: host a: max_slots=2 is less than slots=4"},
		{"fe80::1:2\n", "hosts:1: syntax error: \"fe80::1:2\": put IPv6 addresses in brackets"},
		{"[fe80::1\n", "hosts:1: syntax error: unterminated '['"},
		{"a/b\n", `hosts:1: syntax error: invalid character '/' in host name "a/b"`},
		{":3\n", "hosts:1: syntax error: empty host name"},
		{"a slots=99999999\n", "hosts:1: syntax error: host a: slots: invalid count \"99999999\""},
		{"# nothing\n\n", "hosts: no hosts: syntax error"},
		{strings.Repeat("x", MaxLineLen+1), "hosts:1: line longer than 4096 bytes: syntax error"},
	}
	for _, tt := range tests {
		_, err := ParseHostfile("hosts", strings.NewReader(tt.text))
		require.Error(t, err, tt.text)
		assert.ErrorIs(t, err, ErrSyntax)
		assert.Contains(t, err.Error(), tt.want, tt.text)
	}
}

func TestParseHosts(t *testing.T) {
	hosts, err := ParseHosts("a:2,b:2")
	require.NoError(t, err)
	assert.Equal(t, []Host{{Name: "a", Slots: 2}, {Name: "b", Slots: 2}}, hosts)
	hosts, err = ParseHosts("a,b,a")
	require.NoError(t, err)
	assert.Equal(t, []Host{{Name: "a", Slots: 2}, {Name: "b", Slots: 1}}, hosts)

	for _, bad := range []string{"", "a,", "a:0", "a:b", "a:1:2", "a b"} {
		_, err := ParseHosts(bad)
		assert.ErrorIs(t, err, ErrSyntax, bad)
	}
}
