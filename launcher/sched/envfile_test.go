package sched

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseEnvFile(t *testing.T) {
	got, err := ParseEnvFile("job.env", strings.NewReader("# settings\n\nOMP_NUM_THREADS=1\n  # indented comment\nGREETING=hello world\nQUOTED='kept'\nEMPTY=\nEQ=a=b\r\n_x1=$HOME\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"OMP_NUM_THREADS=1", "GREETING=hello world", "QUOTED='kept'", "EMPTY=", "EQ=a=b", "_x1=$HOME"}, got)

	for in, want := range map[string]string{
		"A=1\nnovalue\n":                  `job.env:2: "novalue": want KEY=VALUE`,
		"1A=x\n":                          `job.env:1: "1A": not a variable name`,
		"export A=x\n":                    `job.env:1: "export A": not a variable name`,
		" A=x\n":                          `job.env:1: " A": not a variable name`,
		"=x\n":                            `job.env:1: "": no variable name`,
		"A=1\n\nA=2\n":                    "job.env:3: A given again (first on line 1)",
		"A=x\x00y\n":                      "job.env:1: A: the value holds a NUL or carriage return",
		"A=x\ry\n":                        "job.env:1: A: the value holds a NUL",
		"A-B=x\n":                         `job.env:1: "A-B": not a variable name`,
		strings.Repeat("x", MaxLineLen+1): "longer than",
	} {
		_, err := ParseEnvFile("job.env", strings.NewReader(in))
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrSyntax, in)
		assert.Contains(t, err.Error(), want, in)
	}
	var b strings.Builder
	for i := range MaxEnvEntries + 1 {
		fmt.Fprintf(&b, "V%d=x\n", i)
	}
	_, err = ParseEnvFile("big.env", strings.NewReader(b.String()))
	assert.ErrorContains(t, err, "more than 1000 entries")
}

// FuzzParseEnvFile checks that the parser never panics, that every entry
// it returns is a valid exported entry of a script, and that writing the
// entries out again reads back the same.
func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n# c\nB=x y\n", "A\n", "A=1\nA=2\n", "1=2\n", "A=\r\n", "\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseEnvFile("fuzz", strings.NewReader(string(data)))
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		s := Script{Name: "f", Nodes: 1, RanksPerNode: 1, Program: "p", Export: entries}
		_, err = s.Files(FormatSlurm)
		require.NoError(t, err)
		again, err := ParseEnvFile("again", strings.NewReader(strings.Join(entries, "\n")))
		require.NoError(t, err)
		require.Equal(t, len(entries), len(again))
		for i := range entries {
			require.Equal(t, entries[i], again[i])
		}
	})
}
