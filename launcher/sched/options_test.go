package sched

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullScript is goldenScript with every option a format takes set: the
// description the full.* golden files render.
func fullScript(t *testing.T, f Format) Script {
	s := goldenScript
	s.Name = "full"
	s.Account = "proj42"
	var err error
	s.Array, err = ParseArray("1-9:2%3")
	require.NoError(t, err)
	s.MailUser = "alice@example.org"
	s.MailType = MailEnd | MailFail
	s.Stdout = "logs/%x-%a.out"
	s.Setup = []string{"module load go", `cd "$HOME/run" || exit 1`}
	s.Export = []string{"OMP_PLACES=cores", `NOTE=it's a "test" of $HOME`}
	s.Memory = 4 << 30
	switch f {
	case FormatSlurm:
		s.QoS = "high"
		s.Stderr = "logs/%x-%j-100%%.err"
	case FormatPBS:
		s.Stderr = "logs/%x-%a.err"
	case FormatTorque:
		s.Stdout = "logs/%x.out"
		s.Memory, s.MemoryPerCPU = 0, 1536<<20
	case FormatCondor:
		s.Queue = ""
		s.Array, err = ParseArray("0-4")
		require.NoError(t, err)
		s.Stdout = "logs/%x-%j.out"
		s.Stderr = "logs/%x-%a.err"
	}
	return s
}

func TestScriptOptionsGolden(t *testing.T) {
	for _, f := range []Format{FormatPBS, FormatTorque, FormatSlurm, FormatCondor} {
		s := fullScript(t, f)
		files, err := s.Files(f)
		require.NoError(t, err, f)
		for _, file := range files {
			path := filepath.Join("testdata", "golden", string(f), file.Name)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(file.Content), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create the golden files")
			assert.Equal(t, string(want), file.Content, path)
		}
	}
}

// TestScriptOptionsLines checks the lines each option adds, one format at
// a time, so that a failure names the option.
func TestScriptOptionsLines(t *testing.T) {
	base := Script{Name: "j", Nodes: 2, RanksPerNode: 4, Program: "./p"}
	arr := func(s string) *Array {
		a, err := ParseArray(s)
		require.NoError(t, err)
		return a
	}
	for _, tt := range []struct {
		name string
		edit func(*Script)
		f    Format
		want []string // lines the script (or the submit description) holds
		not  []string
	}{
		{"account slurm", func(s *Script) { s.Account = "p1" }, FormatSlurm, []string{"#SBATCH --account=p1"}, nil},
		{"account pbs", func(s *Script) { s.Account = "p1" }, FormatPBS, []string{"#PBS -A p1"}, nil},
		{"account torque", func(s *Script) { s.Account = "p1" }, FormatTorque, []string{"#PBS -A p1"}, nil},
		{"account condor", func(s *Script) { s.Account = "p1" }, FormatCondor, []string{"accounting_group = p1"}, nil},
		{"qos slurm", func(s *Script) { s.QoS = "long" }, FormatSlurm, []string{"#SBATCH --qos=long"}, nil},
		{"mem slurm", func(s *Script) { s.Memory = 1536 << 20 }, FormatSlurm, []string{"#SBATCH --mem=1536M"}, nil},
		{"mem pbs", func(s *Script) { s.Memory = 4 << 30 }, FormatPBS, []string{"#PBS -l select=2:ncpus=4:mpiprocs=4:mem=4gb"}, nil},
		{"mem torque", func(s *Script) { s.Memory = 4 << 30 }, FormatTorque, []string{"#PBS -l mem=8gb"}, nil},
		{"mem condor", func(s *Script) { s.Memory = 1<<30 + 1 }, FormatCondor, []string{"request_memory = 1025M"}, nil},
		{"mem per cpu slurm", func(s *Script) { s.MemoryPerCPU = 3 << 10 }, FormatSlurm, []string{"#SBATCH --mem-per-cpu=3K"}, nil},
		{"mem per cpu torque", func(s *Script) { s.MemoryPerCPU = 2 << 40 }, FormatTorque, []string{"#PBS -l pmem=2tb"}, nil},
		{"array slurm", func(s *Script) { s.Array = arr("1-10%2") }, FormatSlurm,
			[]string{"#SBATCH --array=1-10%2", `export SPMD_ARRAY_INDEX="$SLURM_ARRAY_TASK_ID"`, "exec spmdrun -x SPMD_ARRAY_INDEX ./p"}, nil},
		{"array pbs", func(s *Script) { s.Array = arr("0-99:10%5") }, FormatPBS,
			[]string{"#PBS -J 0-99:10%5", `export SPMD_ARRAY_INDEX="$PBS_ARRAY_INDEX"`}, nil},
		{"array torque", func(s *Script) { s.Array = arr("1-7:3,20-22%4") }, FormatTorque,
			[]string{"#PBS -t 1,4,7,20-22%4", `export SPMD_ARRAY_INDEX="$PBS_ARRAYID"`}, nil},
		{"array condor contiguous", func(s *Script) { s.Array = arr("0-2") }, FormatCondor,
			[]string{"queue 3", `environment = "SPMD_ARRAY_INDEX=$(Process)"`, "output = j.out.$(Process).$(Node)"}, []string{"SpmdArrayIndex"}},
		{"array condor list", func(s *Script) { s.Array = arr("1,3,5-6") }, FormatCondor,
			[]string{"queue SpmdArrayIndex in (1, 3, 5, 6)", `environment = "SPMD_ARRAY_INDEX=$(SpmdArrayIndex)"`}, nil},
		{"mail slurm", func(s *Script) { s.MailUser, s.MailType = "a@b", MailBegin|MailEnd|MailFail }, FormatSlurm,
			[]string{"#SBATCH --mail-user=a@b", "#SBATCH --mail-type=ALL"}, nil},
		{"mail slurm none", func(s *Script) { s.MailType = MailNever }, FormatSlurm, []string{"#SBATCH --mail-type=NONE"}, nil},
		{"mail pbs", func(s *Script) { s.MailUser, s.MailType = "a@b", MailBegin|MailFail }, FormatPBS, []string{"#PBS -M a@b", "#PBS -m ab"}, nil},
		{"mail torque none", func(s *Script) { s.MailType = MailNever }, FormatTorque, []string{"#PBS -m n"}, nil},
		{"mail condor", func(s *Script) { s.MailUser, s.MailType = "a@b", MailFail }, FormatCondor, []string{"notify_user = a@b", "notification = Error"}, nil},
		{"mail condor end", func(s *Script) { s.MailType = MailEnd | MailFail }, FormatCondor, []string{"notification = Complete"}, nil},
		{"stdout slurm", func(s *Script) { s.Stdout = "o/%x.%j" }, FormatSlurm, []string{"#SBATCH --output=o/%x.%j"}, []string{"--error"}},
		{"stdout pbs merges", func(s *Script) { s.Stdout = "o/%x.log" }, FormatPBS, []string{"#PBS -o o/j.log", "#PBS -j oe"}, nil},
		{"stderr pbs", func(s *Script) { s.Stderr = "e.log" }, FormatPBS, []string{"#PBS -e e.log"}, []string{"-j oe"}},
		{"stdout condor", func(s *Script) { s.Stdout = "o/%j" }, FormatCondor, []string{"output = o/$(Cluster).$(Process).$(Node)", "error = j.err.$(Node)"}, nil},
		{"setup and env", func(s *Script) { s.Setup = []string{"module load go"}; s.Export = []string{"A=x y"} }, FormatTorque,
			[]string{"export A='x y'\nmodule load go\nexec spmdrun -x A ./p"}, nil},
		{"setup condor", func(s *Script) { s.Setup = []string{"module load go"}; s.Export = []string{"A=it's \"q\""} }, FormatCondor,
			[]string{"# other node joins it as a per-node proxy.\nmodule load go", "\texec spmdrun -x A ./p", `environment = "A='it''s ""q""'"`}, []string{"export A"}},
		{"empty value condor", func(s *Script) { s.Export = []string{"A="} }, FormatCondor, []string{`environment = "A=''"`}, nil},
	} {
		s := base
		tt.edit(&s)
		files, err := s.Files(tt.f)
		require.NoError(t, err, tt.name)
		var all strings.Builder
		for _, file := range files {
			all.WriteString(file.Content)
		}
		for _, w := range tt.want {
			assert.Contains(t, all.String(), w+"\n", tt.name)
		}
		for _, n := range tt.not {
			assert.NotContains(t, all.String(), n, tt.name)
		}
	}
}

func TestScriptOptionsRefused(t *testing.T) {
	base := Script{Name: "j", Nodes: 2, RanksPerNode: 4, Program: "./p"}
	arr := func(s string) *Array {
		a, err := ParseArray(s)
		require.NoError(t, err)
		return a
	}
	for _, tt := range []struct {
		edit func(*Script)
		f    Format
		want string
	}{
		{func(s *Script) { s.QoS = "x" }, FormatPBS, "pbs: --qos: no quality of service there; leave it out"},
		{func(s *Script) { s.QoS = "x" }, FormatTorque, "torque: --qos:"},
		{func(s *Script) { s.QoS = "x" }, FormatCondor, "condor: --qos:"},
		{func(s *Script) { s.Queue = "x" }, FormatCondor, "condor: -q: HTCondor has no queues or partitions; leave it out"},
		{func(s *Script) { s.MemoryPerCPU = 1 << 30 }, FormatPBS, "pbs: --mem-per-cpu: OpenPBS has no per-CPU memory; use --mem (per node)"},
		{func(s *Script) { s.MemoryPerCPU = 1 << 30 }, FormatCondor, "condor: --mem-per-cpu: HTCondor has no per-CPU memory"},
		{func(s *Script) { s.Memory, s.MemoryPerCPU = 1<<30, 1<<30 }, FormatSlurm, "slurm: --mem and --mem-per-cpu: give one of them"},
		{func(s *Script) { s.Memory = MaxMemory + 1 }, FormatSlurm, "want 1 byte..1 PiB"},
		{func(s *Script) { s.Memory = MaxMemory }, FormatTorque, "torque: --mem: Torque asks for the job's total, 2 nodes × 1024tb, which is above 1 PiB"},
		{func(s *Script) { s.Array = arr("1,2") }, FormatPBS, "pbs: --array 1,2: an OpenPBS array (-J) is one range X-Y[:Z] of at least two indices"},
		{func(s *Script) { s.Array = arr("3") }, FormatPBS, "pbs: --array 3:"},
		{func(s *Script) { s.Array = arr("1-3%1") }, FormatCondor, "condor: --array 1-3%1: HTCondor has no limit on running tasks (%1); leave it out"},
		{func(s *Script) { s.MailType = MailBegin }, FormatCondor, "condor: --mail-type begin: HTCondor mails no job start"},
		{func(s *Script) { s.MailType = MailNever | MailEnd }, FormatSlurm, "none goes alone"},
		{func(s *Script) { s.Account = "a b" }, FormatSlurm, `slurm: --account "a b": blanks, quotes`},
		{func(s *Script) { s.MailUser = "a#b" }, FormatPBS, `pbs: --mail-user "a#b"`},
		{func(s *Script) { s.Stdout = "a b" }, FormatSlurm, `slurm: --stdout "a b": blanks, quotes`},
		{func(s *Script) { s.Stdout = "h:o" }, FormatPBS, `pbs: --stdout "h:o": qsub reads host:path`},
		{func(s *Script) { s.Stdout = "$(x)" }, FormatCondor, `condor: --stdout "$(x)": condor_submit expands '$' in paths`},
		{func(s *Script) { s.Stdout = "o%" }, FormatSlurm, "a % at the end"},
		{func(s *Script) { s.Stdout = "o%j" }, FormatTorque, "torque: --stdout \"o%j\": PBS cannot name a file by the job id"},
		{func(s *Script) { s.Stdout, s.Array = "o%a", arr("1-2") }, FormatTorque, "torque: --stdout \"o%a\": Torque cannot name a file by the array index"},
		{func(s *Script) { s.Stderr = "o%a" }, FormatPBS, "pbs: --stderr \"o%a\": %a is the array index, but the job is no array"},
		{func(s *Script) { s.Setup = []string{"a\nb"} }, FormatSlurm, `setup line "a\nb": want one non-empty line`},
		{func(s *Script) { s.Export = []string{"1A=x"} }, FormatSlurm, `exported entry "1A=x": not a variable name`},
		{func(s *Script) { s.Export = []string{"A"} }, FormatSlurm, `exported entry "A": want KEY=VALUE`},
		{func(s *Script) { s.Export, s.Array = []string{"SPMD_ARRAY_INDEX=1"}, arr("1-2") }, FormatSlurm, "the job array sets SPMD_ARRAY_INDEX"},
		{func(s *Script) { s.Export = []string{"A=$(B)"} }, FormatCondor, "condor: exported A: condor_submit expands $( in the environment"},
	} {
		s := base
		tt.edit(&s)
		_, err := s.Files(tt.f)
		require.Error(t, err, tt.want)
		assert.Contains(t, err.Error(), tt.want)
		assert.NotContains(t, err.Error(), "\n")
	}
}
