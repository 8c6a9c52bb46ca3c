package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
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

// TestUsageJobFileExample: the job file in the help is read and renders
// for each system it is said to serve.
func TestUsageJobFileExample(t *testing.T) {
	_, after, ok := strings.Cut(usage, "A job file (heat.yaml)")
	require.True(t, ok)
	_, body, _ := strings.Cut(after, ":\n")
	body, _, _ = strings.Cut(body, "\n\n")
	var yaml strings.Builder
	for l := range strings.SplitSeq(body, "\n") {
		yaml.WriteString(strings.TrimPrefix(l, "  ") + "\n")
	}
	job := filepath.Join(t.TempDir(), "heat.yaml")
	require.NoError(t, os.WriteFile(job, []byte(yaml.String()), 0o644))
	for _, f := range []string{"slurm", "pbs"} {
		var out, errb bytes.Buffer
		require.Equal(t, 0, run([]string{"--job", job, f}, &out, &errb), "%s: %s\n%s", f, errb.String(), yaml.String())
		assert.Contains(t, out.String(), "exec spmdrun -x OMP_NUM_THREADS -x SPMD_ARRAY_INDEX ./heat -n 4096\n", f)
	}
}
