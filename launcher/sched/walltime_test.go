package sched

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWalltime(t *testing.T) {
	const d, h, m, s = 24 * time.Hour, time.Hour, time.Minute, time.Second
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"90", 90 * m},
		{"0:30", 30 * s},
		{"90:05", 90*m + 5*s},
		{"2:00:05", 2*h + 5*s},
		{"100:00:00", 100 * h},
		{"1-12", d + 12*h},
		{"1-12:30", d + 12*h + 30*m},
		{"2-00:00:01", 2*d + s},
		{"0-00:00:01", s},
		{"90m", 90 * m},
		{"1h30m", 90 * m},
		{"2d12h", 2*d + 12*h},
		{"45s", 45 * s},
		{"1d2h3m4s", d + 2*h + 3*m + 4*s},
		{"1h90m", 150 * m},
		{"365d", MaxWalltime},
	} {
		got, err := ParseWalltime(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, tt := range []struct{ in, why string }{
		{"", "empty"},
		{"soon", `unexpected 's'`},
		{"0", "more than zero"},
		{"0:00:00", "more than zero"},
		{"1:5:00", `field "5": want two digits`},
		{"1:60", `field "60": want below 60`},
		{"1:00:60", `field "60": want below 60`},
		{"1-24", `field "24": want below 24`},
		{"1-", `field "": want two digits`},
		{"-1", "a number is missing"},
		{"1:00:00:00", "too many fields"},
		{"1-00:00:00:00", "too many fields"},
		{"1.5h", "unexpected '.'"},
		{"1m1h", `unit 'h': want d, h, m or s, each once, in that order`},
		{"1h1h", `unit 'h'`},
		{"1w", `unexpected 'w'`},
		{"h", "want a number before each unit"},
		{" 90", "unexpected ' '"},
		{"+90", "unexpected '+'"},
		{"366d", "more than 365 days"},
		{"8761:00:00", "more than 365 days"},
		{"999999999", "too large"},
		{"1h30", "unexpected 'h'"},
	} {
		_, err := ParseWalltime(tt.in)
		require.Error(t, err, tt.in)
		assert.ErrorIs(t, err, ErrSyntax, tt.in)
		assert.Contains(t, err.Error(), tt.why, tt.in)
	}
}

func TestWalltimeForms(t *testing.T) {
	w := 50*time.Hour + 500*time.Millisecond
	assert.Equal(t, "2-02:00:01", slurmTime(w))
	assert.Equal(t, "50:00:01", hms(w))
	assert.Equal(t, int64(180001), wholeSeconds(w))
}

// FuzzParseWalltime checks that the parser never panics, that what it
// accepts is within bounds, and that the forms written for Slurm and PBS
// parse back to the same whole seconds.
func FuzzParseWalltime(f *testing.F) {
	for _, s := range []string{"90", "1:30", "1:30:00", "1-12", "1-12:30", "1-12:30:15", "1h30m", "2d", "0", "1:5:00", "366d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseWalltime(s)
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		require.True(t, d > 0 && d <= MaxWalltime, "%q: %v", s, d)
		require.Zero(t, d%time.Second)
		for _, form := range []string{slurmTime(d), hms(d), strconv.FormatInt(int64(d/time.Second), 10) + "s"} {
			again, err := ParseWalltime(form)
			require.NoError(t, err, "%q written as %q", s, form)
			require.Equal(t, d, again, "%q written as %q", s, form)
		}
	})
}
