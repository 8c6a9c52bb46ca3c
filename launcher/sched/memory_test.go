package sched

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{
		"512M": 512 << 20, "4G": 4 << 30, "4gb": 4 << 30, "16GiB": 16 << 30, "1k": 1 << 10, "3KB": 3 << 10,
		"2T": 2 << 40, "1024tib": 1 << 50, "1536m": 1536 << 20,
	} {
		got, err := ParseMemory(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, why := range map[string]string{
		"": "no number", "G": "no number", "4": "no unit", "0G": "zero", "1.5G": `unknown unit ".5G"`, "4 G": `unknown unit " G"`,
		"4GB ": `unknown unit "GB "`, "4P": `unknown unit "P"`, "4gib4": `unknown unit "gib4"`, "-4G": "no number",
		"1025T": "more than 1 PiB", "99999999999999999G": "number too large", "4b": `unknown unit "b"`,
	} {
		_, err := ParseMemory(in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrSyntax, in)
		assert.Contains(t, err.Error(), why, in)
	}
}

func TestMemoryForms(t *testing.T) {
	for _, tt := range []struct {
		bytes                 int64
		slurm, pbs, condorMiB string
	}{
		{4 << 30, "4G", "4gb", "4096M"},
		{1536 << 20, "1536M", "1536mb", "1536M"},
		{3 << 40, "3T", "3tb", "3145728M"},
		{1 << 10, "1K", "1kb", "1M"},
		{1<<30 + 1, "1048577K", "1048577kb", "1025M"},
	} {
		assert.Equal(t, tt.slurm, slurmMemory(tt.bytes))
		assert.Equal(t, tt.pbs, pbsMemory(tt.bytes))
		assert.Equal(t, tt.condorMiB, condorMemory(tt.bytes))
	}
}

// FuzzParseMemory checks that the parser never panics, stays in bounds,
// and reads back what is written for Slurm and PBS.
func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"512M", "4gb", "16GiB", "4", "0G", "1.5G", "1025T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMemory(s)
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		require.True(t, n >= 1<<10 && n <= MaxMemory, "%q: %d", s, n)
		for _, form := range []string{slurmMemory(n), pbsMemory(n)} {
			again, err := ParseMemory(form)
			require.NoError(t, err, form)
			require.Equal(t, n, again, form)
		}
	})
}
