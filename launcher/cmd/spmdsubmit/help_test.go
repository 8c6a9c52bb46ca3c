package main

import (
	"flag"
	"os"
	"testing"

	"github.com/spmd-go/spmd/internal/helpdoc"
	"github.com/spmd-go/spmd/launcher/sched"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateDoc = flag.Bool("update", false, "rewrite doc.go from the usage text")

// TestUsageListsEveryFlag: every flag spmdsubmit parses, the formats and
// the exit codes are in spmdsubmit --help.
func TestUsageListsEveryFlag(t *testing.T) {
	fs := flagSet(&sched.Script{}, &command{})
	missing, n := helpdoc.Undocumented(fs, usage)
	assert.Empty(t, missing, "flags not in the usage text")
	assert.Equal(t, 30, n)
	for _, s := range []string{"--help", "\n  pbs ", "\n  torque ", "\n  slurm ", "\n  condor ", "\n  0 ", "\n  2 ", "\n  3 ", "SPMD_ARRAY_INDEX"} {
		assert.Contains(t, usage, s)
	}
}

// TestUsageFitsATerminal: no line of the help is wider than 80 columns.
func TestUsageFitsATerminal(t *testing.T) {
	assert.Empty(t, helpdoc.WideLines(usage, 80), "lines wider than 80 columns")
}

// docSource is doc.go as it must be: the package doc, then the usage
// text as a preformatted block.
func docSource(t *testing.T) []byte {
	src, err := helpdoc.Source(`// Command spmdsubmit writes a batch-system submission that runs an SPMD
// program through spmdrun:
//
//	spmdsubmit -N 2 -ppn 4 -t 1h30m -q batch slurm ./pi -n 1000000 > pi.sbatch
//	spmdsubmit -N 4 -ppn 8 -o jobs condor ./ring
//	spmdsubmit --job heat.yaml --wait slurm
//
// What follows is the text of spmdsubmit --help, the complete reference of
// its flags, formats and exit codes.
//
`, usage)
	require.NoError(t, err)
	return src
}

// TestDocIsHelp: go doc shows the same reference as spmdsubmit --help.
func TestDocIsHelp(t *testing.T) {
	want := docSource(t)
	if *updateDoc {
		require.NoError(t, os.WriteFile("doc.go", want, 0o644))
		return
	}
	got, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "doc.go is not spmdsubmit --help: go test -run TestDocIsHelp -update ./launcher/cmd/spmdsubmit/")
}
