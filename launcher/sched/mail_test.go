package sched

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMailType(t *testing.T) {
	for _, tt := range []struct {
		in                 string
		want               MailEvents
		slurm, pbs, condor string
	}{
		{"end", MailEnd, "END", "e", "Complete"},
		{"BEGIN,END,FAIL", MailBegin | MailEnd | MailFail, "ALL", "abe", ""},
		{"all", MailBegin | MailEnd | MailFail, "ALL", "abe", ""},
		{"fail", MailFail, "FAIL", "a", "Error"},
		{"end,fail", MailEnd | MailFail, "END,FAIL", "ae", "Complete"},
		{"None", MailNever, "NONE", "n", "Never"},
	} {
		got, err := ParseMailType(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		assert.Equal(t, tt.slurm, got.slurm(), tt.in)
		assert.Equal(t, tt.pbs, got.pbs(), tt.in)
		c, err := got.condor()
		if tt.condor == "" {
			assert.ErrorContains(t, err, "HTCondor mails no job start", tt.in)
		} else {
			assert.Equal(t, tt.condor, c, tt.in)
		}
		again, err := ParseMailType(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, again)
	}
	for in, why := range map[string]string{
		"": `"" is not begin`, "start": `"start" is not begin`, "end,end": "repeats", "all,end": "repeats",
		"none,end": "none goes alone", "end,": `"" is not`, "none,none": "repeats",
	} {
		_, err := ParseMailType(in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrSyntax, in)
		assert.Contains(t, err.Error(), why, in)
	}
}
