package sched

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPathParts(t *testing.T) {
	lit := func(s string) pathPart { return pathPart{Text: s} }
	ph := func(c byte) pathPart { return pathPart{Placeholder: c} }
	for in, want := range map[string][]pathPart{
		"out.txt":      {lit("out.txt")},
		"logs/%x-%j.o": {lit("logs/"), ph('x'), lit("-"), ph('j'), lit(".o")},
		"%a":           {ph('a')},
		"100%%-%x%%":   {lit("100%-"), ph('x'), lit("%")},
		"a%%b":         {lit("a%b")},
		"%%":           {lit("%")},
	} {
		got, err := pathParts(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, why := range map[string]string{
		"": "empty path", "a b": "blanks, quotes", "a#b": "blanks, quotes", `a\b`: "blanks, quotes",
		"a%": "a % at the end", "%n": "unknown placeholder %n", "x%J": "unknown placeholder %J",
	} {
		_, err := pathParts(in)
		assert.ErrorContains(t, err, why, in)
	}
}

func TestJobPathForms(t *testing.T) {
	arr, err := ParseArray("1-4")
	require.NoError(t, err)
	s := &Script{Name: "job", Array: arr}
	for _, tt := range []struct {
		f        Format
		in, want string
	}{
		{FormatSlurm, "o/%x-%j-%a-50%%", "o/%x-%j-%a-50%%"},
		{FormatPBS, "o/%x-%a-50%%", "o/job-^array_index^-50%"},
		{FormatTorque, "o/%x.out", "o/job.out"},
		{FormatCondor, "o/%x-%j-%a", "o/job-$(Cluster).$(Process)-$(SpmdArrayIndex)"},
	} {
		got, err := s.jobPath(tt.f, "--stdout", tt.in)
		require.NoError(t, err, tt.f)
		assert.Equal(t, tt.want, got, tt.f)
	}
}

// FuzzPathParts checks that the placeholder parser never panics, that a
// path it accepts is written for every system without a character a
// directive cannot hold, and that the Slurm form parses back to the same
// parts.
func FuzzPathParts(f *testing.F) {
	for _, s := range []string{"logs/%x-%j.out", "%a", "100%%", "a%", "%q", "a b", "h:o"} {
		f.Add(s)
	}
	arr, _ := ParseArray("0-1")
	f.Fuzz(func(t *testing.T, p string) {
		parts, err := pathParts(p)
		if err != nil {
			return
		}
		require.NotEmpty(t, parts)
		s := &Script{Name: "n", Array: arr}
		for _, fm := range []Format{FormatSlurm, FormatPBS, FormatTorque, FormatCondor} {
			w, err := s.jobPath(fm, "--stdout", p)
			if err != nil {
				continue
			}
			require.False(t, strings.ContainsAny(w, " \t\n\r'\"#\\\x00"), "%s: %q", fm, w)
		}
		w, err := s.jobPath(FormatSlurm, "--stdout", p)
		require.NoError(t, err)
		again, err := pathParts(w)
		require.NoError(t, err)
		require.Equal(t, parts, again)
	})
}
