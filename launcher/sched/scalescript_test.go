package sched

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  --np 1-8  --repeat 5 ", []string{"--np", "1-8", "--repeat", "5"}},
		{`--metric 'GF=([0-9.]+) GFlops'`, []string{"--metric", "GF=([0-9.]+) GFlops"}},
		{`--metric "a \"b\" \\c"`, []string{"--metric", `a "b" \c`}},
		{`x\ y 'a'"b"c`, []string{"x y", "abc"}},
		{`''`, []string{""}},
	} {
		got, err := SplitWords(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{`'open`, `"open`, `a "b`} {
		_, err := SplitWords(bad)
		assert.ErrorContains(t, err, "unclosed", bad)
	}
}

func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{"--np 1-8", `'a b' "c\"d"`, `x\ y`, `"`, `'`, "\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitWords(s)
		if err != nil {
			return
		}
		// Quoting every word and splitting again gives the same words.
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		again, err := SplitWords(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("requoted %q: %v", words, err)
		}
		if len(again) != len(words) {
			t.Fatalf("%q: split %q, requoted split %q", s, words, again)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("%q: split %q, requoted split %q", s, words, again)
			}
		}
	})
}

func TestScaleScript(t *testing.T) {
	s := &Script{Name: "heat", Nodes: 4, RanksPerNode: 16, Program: "./heat", Args: []string{"-n", "{round(1024*sqrt(p))}"},
		Env: []string{"OMP_NUM_THREADS=1"}, Scale: []string{"--weak", "--np", "1-64", "--metric", "GF=([0-9.]+) GFlops"}}
	files, err := s.Files(FormatSlurm)
	require.NoError(t, err)
	want := "exec spmdbench scale --spmdrun-arg=-x --spmdrun-arg=OMP_NUM_THREADS=1 --weak --np 1-64 --metric 'GF=([0-9.]+) GFlops' -- ./heat -n '{round(1024*sqrt(p))}'\n"
	assert.True(t, strings.HasSuffix(files[0].Content, want), files[0].Content)
	assert.Contains(t, files[0].Content, "#SBATCH --nodes=4\n#SBATCH --ntasks-per-node=16\n", "one allocation of the largest size")

	files, err = s.Files(FormatTorque)
	require.NoError(t, err)
	assert.Contains(t, files[0].Content, "#PBS -l nodes=4:ppn=16\n")
	assert.Contains(t, files[0].Content, "cd \"$PBS_O_WORKDIR\"\nexec spmdbench scale ")

	_, err = s.Files(FormatCondor)
	assert.ErrorContains(t, err, "node 0's slots only")
	s.Nodes = 1
	files, err = s.Files(FormatCondor)
	require.NoError(t, err)
	assert.Contains(t, files[1].Content, "\texec spmdbench scale ")

	s.Scale = []string{"--np", "4", "--", "x"}
	_, err = s.Files(FormatSlurm)
	assert.ErrorContains(t, err, "flags only")

	s.Scale, s.Spmdbench, s.Spmdrun, s.Env = []string{}, "/opt/spmd/bin/spmdbench", "/opt/spmd/bin/spmdrun", nil
	files, err = s.Files(FormatSlurm)
	require.NoError(t, err)
	assert.Contains(t, files[0].Content, "exec /opt/spmd/bin/spmdbench scale --spmdrun /opt/spmd/bin/spmdrun -- ./heat")
}
