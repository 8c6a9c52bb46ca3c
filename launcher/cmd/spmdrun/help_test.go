package main

import (
	"flag"
	"os"
	"testing"

	"github.com/spmd-go/spmd/internal/helpdoc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateDoc = flag.Bool("update", false, "rewrite doc.go from the usage text")

// TestUsageListsEveryFlag: every flag spmdrun parses, and the flags of
// its proxy modes, the environment it reads and the exit codes, are in
// spmdrun --help.
func TestUsageListsEveryFlag(t *testing.T) {
	fs := (&options{}).flagSet(os.LookupEnv)
	missing, n := helpdoc.Undocumented(fs, usage)
	assert.Empty(t, missing, "flags not in the usage text")
	assert.Greater(t, n, 20)
	for _, s := range []string{"--proxy", "--root", "--index", "--name", "--cookie-file", "--join",
		"SPMD_TIMEOUT", "SPMD_SCHEDULER", "SPMD_CONTACT_DIR", "SPMD_RUN_ID", "PBS_NODEFILE", "SLURM_JOB_NODELIST",
		"_CONDOR_PROCNO", "PMI_FD", "SPMD_LOCAL_RANK", "MPI_LOCALRANKID", "SPMD_JOBID", "SPMD_COOKIE",
		"SPMD_HOST ", "SPMD_HOST_CPUS", "\n  124 ", "\n  127 ", "\n  255 ", "\n  2 ", "\n  1 "} {
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
	src, err := helpdoc.Source(`// Command spmdrun runs an SPMD program as N ranks on this host or many,
// like mpirun:
//
//	spmdrun -n 4 ./prog args...
//
// It serves PMI-1 to the ranks, forwards their output and signals, gives
// its standard input to rank 0, and exits with the code of the first rank
// that fails. What follows is the text of spmdrun --help, the complete
// reference of its flags, environment and exit codes.
//
`, usage)
	require.NoError(t, err)
	return src
}

// TestDocIsHelp: go doc shows the same reference as spmdrun --help.
func TestDocIsHelp(t *testing.T) {
	want := docSource(t)
	if *updateDoc {
		require.NoError(t, os.WriteFile("doc.go", want, 0o644))
		return
	}
	got, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "doc.go is not spmdrun --help: go test -run TestDocIsHelp -update ./launcher/cmd/spmdrun/")
}
