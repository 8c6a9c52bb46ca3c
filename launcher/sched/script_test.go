package sched

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenScript is the description every golden file renders.
var goldenScript = Script{
	Name:         "pi-run",
	Nodes:        2,
	RanksPerNode: 4,
	Walltime:     90 * time.Minute,
	Queue:        "batch",
	Program:      "./pi",
	Args:         []string{"-n", "1000000", "it's quoted"},
	Env:          []string{"OMP_NUM_THREADS=1", "GREETING=hello world"},
}

func TestScriptGolden(t *testing.T) {
	for _, f := range []Format{FormatPBS, FormatTorque, FormatSlurm, FormatCondor} {
		s := goldenScript
		if f == FormatCondor {
			s.Queue = "" // HTCondor has none, and refuses one
		}
		files, err := s.Files(f)
		require.NoError(t, err)
		for _, file := range files {
			path := filepath.Join("testdata", "golden", string(f), file.Name)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(file.Content), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create the golden files")
			assert.Equal(t, string(want), file.Content, path)
		}
	}
}

func TestScriptSlurmLongWalltime(t *testing.T) {
	s := goldenScript
	s.Walltime = 50*time.Hour + 500*time.Millisecond
	s.Queue = ""
	files, err := s.Files(FormatSlurm)
	require.NoError(t, err)
	assert.Contains(t, files[0].Content, "#SBATCH --time=2-02:00:01\n")
	assert.NotContains(t, files[0].Content, "--partition")
}

func TestScriptErrors(t *testing.T) {
	for _, tt := range []struct {
		edit func(*Script)
		want string
	}{
		{func(s *Script) { s.Name = "a b" }, `invalid job name "a b"`},
		{func(s *Script) { s.Nodes = 0 }, "invalid number of nodes 0"},
		{func(s *Script) { s.RanksPerNode = 0 }, "invalid ranks per node 0"},
		{func(s *Script) { s.Program = "" }, "no program"},
		{func(s *Script) { s.Env = []string{"NOVALUE"} }, `environment entry "NOVALUE": want KEY=VALUE`},
		{func(s *Script) { s.Queue = "a b" }, `invalid queue "a b"`},
	} {
		s := goldenScript
		tt.edit(&s)
		_, err := s.Files(FormatSlurm)
		assert.ErrorContains(t, err, tt.want)
	}
	_, err := goldenScript.Files("lsf")
	assert.EqualError(t, err, `unknown script format "lsf": want pbs, torque, slurm or condor`)
}
