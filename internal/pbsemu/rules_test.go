package pbsemu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScanDirectives(t *testing.T) {
	for _, tc := range []struct {
		name, script, prefix string
		want                 [][]string
		err                  string
	}{
		{"plain", "#!/bin/sh\n#PBS -N a\n#PBS -l select=1\necho hi\n#PBS -q late\n", "#PBS",
			[][]string{{"-N", "a"}, {"-l", "select=1"}}, ""},
		{"blanks before the prefix", "  \t#PBS -N a\n", "#PBS", [][]string{{"-N", "a"}}, ""},
		{"comments and blank lines do not stop", "#!/bin/bash\n# a comment\n\n   \n#PBS -N a\n", "#PBS", [][]string{{"-N", "a"}}, ""},
		{"colon in column 0 is not executable", ":\n: a no-op\n#PBS -N a\n", "#PBS", [][]string{{"-N", "a"}}, ""},
		{"colon after a blank is executable", " :\n#PBS -N a\n", "#PBS", nil, ""},
		{"an executable line stops scanning", "echo\n#PBS -N a\n", "#PBS", nil, ""},
		{"prefix must end at a blank", "#PBSX -N a\n#PBS\n#PBS -q b\n", "#PBS", [][]string{{"-q", "b"}}, ""},
		{"continuation", "#PBS -N a \\\n -q b\n#PBS -j oe\n", "#PBS", [][]string{{"-N", "a", "-q", "b"}, {"-j", "oe"}}, ""},
		{"quotes", `#PBS -N "a b" -M 'x y'` + "\n", "#PBS", [][]string{{"-N", "a b", "-M", "x y"}}, ""},
		{"other prefix", "#PBS -N a\n#XX -N b\n", "#XX", [][]string{{"-N", "b"}}, ""},
		{"empty prefix turns scanning off", "#PBS -N a\n", "", nil, ""},
		{"unterminated quote", "#PBS -N 'a\n", "#PBS", nil, "directive error: -N 'a"},
		{"crlf", "#!/bin/sh\r\n#PBS -N a\r\n", "#PBS", nil, "script contains cr, lf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ScanDirectives([]byte(tc.script), tc.prefix)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		d    Dialect
		args string
		err  string
		chk  func(t *testing.T, o *Options)
	}{
		{OpenPBS, "-N job -lselect=2:ncpus=1 -l walltime=10 -j oe x.pbs", "", func(t *testing.T, o *Options) {
			assert.Equal(t, "job", o.Name)
			assert.Equal(t, []Resource{{"select", "2:ncpus=1"}, {"walltime", "10"}}, o.Resources)
			assert.Equal(t, "oe", o.Join)
			assert.Equal(t, []string{"x.pbs"}, o.Args)
		}},
		{OpenPBS, "-J 1-4 -W block=true -z", "", func(t *testing.T, o *Options) {
			assert.Equal(t, "1-4", o.Array)
			assert.True(t, o.Block)
			assert.True(t, o.NoJobID)
		}},
		{OpenPBS, "-t 1-4", "invalid option -- 't'", nil},
		{Torque, "-J 1-4", "invalid option -- 'J'", nil},
		{Torque, "-t 1-4,7 -d /tmp", "", func(t *testing.T, o *Options) { assert.Equal(t, "1-4,7", o.Array) }},
		{Torque, "-W block=true", "illegal -W value", nil},
		{OpenPBS, "-W depend=afterok:1", "-W depend is not emulated by pbsemu (only block=true|false)", nil},
		{OpenPBS, "-j xo", "illegal -j value", nil},
		{OpenPBS, "-N 'a b'", "illegal -N value", nil},
		{OpenPBS, "-J 4-1", "illegal -J value", nil},
		{OpenPBS, "-J 3", "illegal -J value", nil},
		{OpenPBS, "-l", "option requires an argument -- 'l'", nil},
		{OpenPBS, "-I", "option -I is not emulated by pbsemu", nil},
		{OpenPBS, "-k oe -m abe -p 10 -r n", "", nil},
		{OpenPBS, "-k x", "illegal -k value", nil},
	} {
		t.Run(string(tc.d)+" "+tc.args, func(t *testing.T) {
			args, err := SplitWords(tc.args)
			require.NoError(t, err)
			o, err := ParseOptions(tc.d, args)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				var ue *UsageError
				assert.True(t, errors.As(err, &ue))
				return
			}
			require.NoError(t, err)
			if tc.chk != nil {
				tc.chk(t, o)
			}
		})
	}
}

func TestMergeCommandLineWins(t *testing.T) {
	dir, err := ParseOptions(OpenPBS, []string{"-N", "fromscript", "-q", "q1", "-l", "select=2:ncpus=2,walltime=60", "-v", "A=1"})
	require.NoError(t, err)
	cmd, err := ParseOptions(OpenPBS, []string{"-N", "fromcmd", "-l", "select=1:ncpus=1", "-v", "B=2", "s.pbs"})
	require.NoError(t, err)
	o := Merge(cmd, dir)
	assert.Equal(t, "fromcmd", o.Name)
	assert.Equal(t, "q1", o.Queue, "a directive's option the command line does not set stays")
	assert.Equal(t, []Resource{{"select", "1:ncpus=1"}, {"walltime", "60"}}, o.Resources, "resources merge by name, the command line's winning")
	assert.Equal(t, []string{"A=1", "B=2"}, o.Vars)
	assert.Equal(t, []string{"s.pbs"}, o.Args)
}

func TestResolveRequest(t *testing.T) {
	for _, tc := range []struct {
		d      Dialect
		l      string
		compat bool
		err    string
		chunks []Chunk
		place  string
		excl   bool
		wall   time.Duration
	}{
		{OpenPBS, "select=2:ncpus=8:mpiprocs=8", false, "", []Chunk{{2, 8, 8, 8, ""}}, "free", false, 0},
		{OpenPBS, "select=2:ncpus=8", false, "", []Chunk{{2, 8, 1, 8, ""}}, "free", false, 0},
		{OpenPBS, "select=1:ncpus=0", false, "", []Chunk{{1, 0, 0, 0, ""}}, "free", false, 0},
		{OpenPBS, "select=1:ncpus=4:ompthreads=2+2:ncpus=1:host=n2", false, "", []Chunk{{1, 4, 1, 2, ""}, {2, 1, 1, 1, "n2"}}, "free", false, 0},
		{OpenPBS, "select=2:ncpus=2:mpiprocs=2,place=scatter:excl,walltime=1:30", false, "", []Chunk{{2, 2, 2, 2, ""}}, "scatter", true, 90 * time.Second},
		{OpenPBS, "ncpus=3", false, "", []Chunk{{1, 3, 1, 3, ""}}, "free", false, 0},
		{OpenPBS, "walltime=01:00:00", false, "", []Chunk{{1, 1, 1, 1, ""}}, "free", false, time.Hour},
		{OpenPBS, "nodes=2:ppn=2", false, "Cannot be used with select or place: nodes", nil, "", false, 0},
		{OpenPBS, "nodes=2:ppn=2", true, "", []Chunk{{2, 2, 2, 2, ""}}, "scatter", false, 0},
		{OpenPBS, "nodes=2:ppn=2:excl", true, "", []Chunk{{2, 2, 2, 2, ""}}, "scatter", true, 0},
		{OpenPBS, "nodes=1,select=1", true, "Cannot be used with select or place: nodes", nil, "", false, 0},
		{OpenPBS, "select=2:ppn=2", false, "Unknown resource: ppn", nil, "", false, 0},
		{OpenPBS, "place=around", false, "illegal -l value", nil, "", false, 0},
		{OpenPBS, "place=pack:scatter", false, "illegal -l value", nil, "", false, 0},
		{OpenPBS, "walltime=1:2:3:4", false, "illegal -l value", nil, "", false, 0},
		{Torque, "nodes=2:ppn=2", false, "", []Chunk{{2, 2, 2, 2, ""}}, "scatter", false, 0},
		{Torque, "nodes=n1:ppn=2+n2", false, "", []Chunk{{1, 2, 2, 2, "n1"}, {1, 1, 1, 1, "n2"}}, "scatter", false, 0},
		{Torque, "walltime=1:00:00:00", false, "", []Chunk{{1, 1, 1, 1, ""}}, "scatter", false, 24 * time.Hour},
		{Torque, "select=2:ncpus=2:mpiprocs=2", false, "submit error (Unknown resource type  MSG=Resource_List.select)", nil, "", false, 0},
		{Torque, "place=scatter", false, "submit error (Unknown resource type  MSG=Resource_List.place)", nil, "", false, 0},
		{Torque, "nodes=2:gpu", false, msgTorqueNoFit, nil, "", false, 0},
		{Torque, "nodes=0", false, "illegal -l value", nil, "", false, 0},
	} {
		t.Run(string(tc.d)+" "+tc.l, func(t *testing.T) {
			rs, err := ParseResourceList(tc.l)
			require.NoError(t, err)
			req, err := ResolveRequest(tc.d, rs, tc.compat)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.chunks, req.Chunks)
			assert.Equal(t, tc.place, req.Arrangement)
			assert.Equal(t, tc.excl, req.Excl)
			assert.Equal(t, tc.wall, req.Walltime)
		})
	}
}

func TestNodesConversionShowsInResourceList(t *testing.T) {
	req, err := ResolveRequest(OpenPBS, []Resource{{"nodes", "4:ppn=2"}}, true)
	require.NoError(t, err)
	assert.Equal(t, []Resource{{"select", "4:ncpus=2:mpiprocs=2"}, {"place", "scatter"}}, req.List)
}

func TestParseArray(t *testing.T) {
	for _, tc := range []struct {
		d    Dialect
		s    string
		want []int
		max  int
		bad  bool
	}{
		{OpenPBS, "1-4", []int{1, 2, 3, 4}, 0, false},
		{OpenPBS, "0-10:5", []int{0, 5, 10}, 0, false},
		{OpenPBS, "1-9%2", []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, 2, false},
		{OpenPBS, "3", nil, 0, true},
		{OpenPBS, "2-2", nil, 0, true},
		{OpenPBS, "1-4:0", nil, 0, true},
		{OpenPBS, "1,2", nil, 0, true},
		{Torque, "1-4", []int{1, 2, 3, 4}, 0, false},
		{Torque, "1,3,5-6%1", []int{1, 3, 5, 6}, 1, false},
		{Torque, "7", []int{7}, 0, false},
		{Torque, "4-1", nil, 0, true},
		{Torque, "a", nil, 0, true},
		{Torque, "1-100000", nil, 0, true},
	} {
		a, err := ParseArray(tc.d, tc.s)
		if tc.bad {
			assert.Error(t, err, "%s %s", tc.d, tc.s)
			continue
		}
		require.NoError(t, err, "%s %s", tc.d, tc.s)
		assert.Equal(t, tc.want, a.Indices, "%s %s", tc.d, tc.s)
		assert.Equal(t, tc.max, a.Max, "%s %s", tc.d, tc.s)
	}
}

func TestJobIDs(t *testing.T) {
	assert.Equal(t, "12.srv", JobID(12, "srv"))
	assert.Equal(t, "12[].srv", ArrayJobID(12, "srv"))
	assert.Equal(t, "12[3].srv", SubjobID(12, 3, "srv"))
	assert.Equal(t, "job.o12", OutputName(OpenPBS, "job", 'o', 12, -1))
	assert.Equal(t, "job.e12.3", OutputName(OpenPBS, "job", 'e', 12, 3))
	assert.Equal(t, "job.o12-3", OutputName(Torque, "job", 'o', 12, 3))
	for s, want := range map[string]JobRef{
		"12": {12, -1, false}, "12.srv": {12, -1, false}, "12[]": {12, -1, true}, "12[].srv": {12, -1, true}, "12[3].srv": {12, 3, true},
	} {
		got, err := ParseJobRef(s, "srv")
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "x", "12.other", "12[", "12[x]", "-1", "12[3"} {
		_, err := ParseJobRef(s, "srv")
		assert.Error(t, err, s)
	}
}

func hosts(spec ...any) []HostUse {
	var hs []HostUse
	for i := 0; i < len(spec); i += 2 {
		hs = append(hs, HostUse{Name: spec[i].(string), NCPUs: spec[i+1].(int)})
	}
	return hs
}

func TestPlaceAndNodefile(t *testing.T) {
	for _, tc := range []struct {
		name     string
		d        Dialect
		l        string
		hosts    []HostUse
		nodefile string // "" means it does not fit
		exec     string
	}{
		{"select mpiprocs lines per chunk", OpenPBS, "select=2:ncpus=8:mpiprocs=8", hosts("a.x", 8, "b", 8),
			strings.Repeat("a\n", 8) + strings.Repeat("b\n", 8), "a.x/0*8+b/0*8"},
		{"mpiprocs defaults to 1", OpenPBS, "select=2:ncpus=8", hosts("a", 8, "b", 8), "a\nb\n", "a/0*8+b/0*8"},
		{"free packs chunks where they fit", OpenPBS, "select=2:ncpus=1", hosts("a", 2, "b", 2), "a\na\n", "a/0*1+a/0*1"},
		{"scatter puts each chunk on its own host", OpenPBS, "select=2:ncpus=1,place=scatter", hosts("a", 2, "b", 2), "a\nb\n", "a/0*1+b/0*1"},
		{"scatter needs as many hosts as chunks", OpenPBS, "select=3:ncpus=1,place=scatter", hosts("a", 2, "b", 2), "", ""},
		{"pack needs one host for all", OpenPBS, "select=3:ncpus=1,place=pack", hosts("a", 2, "b", 4), "b\nb\nb\n", "b/0*1+b/0*1+b/0*1"},
		{"chunk order is nodefile order", OpenPBS, "select=1:ncpus=1:host=b+1:ncpus=2:mpiprocs=2", hosts("a", 2, "b", 2), "b\na\na\n", "b/0*1+a/0*2"},
		{"torque ppn lines per node", Torque, "nodes=2:ppn=2", hosts("a", 2, "b", 2), "a\na\nb\nb\n", "a/0-1+b/0-1"},
		{"torque nodes are distinct hosts", Torque, "nodes=2:ppn=1", hosts("a", 4), "", ""},
		{"torque named host", Torque, "nodes=b:ppn=2", hosts("a", 2, "b", 2), "b\nb\n", "b/0-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := ParseResourceList(tc.l)
			require.NoError(t, err)
			req, err := ResolveRequest(tc.d, rs, false)
			require.NoError(t, err)
			ps := Place(req, tc.hosts)
			if tc.nodefile == "" {
				assert.Nil(t, ps)
				return
			}
			require.NotNil(t, ps)
			assert.Equal(t, tc.nodefile, Nodefile(ps))
			assert.Equal(t, tc.exec, ExecHost(tc.d, ps))
			assert.Equal(t, req.Lines(), strings.Count(Nodefile(ps), "\n"))
		})
	}
}

func TestPlaceRespectsRunningJobs(t *testing.T) {
	req, err := ResolveRequest(OpenPBS, []Resource{{"select", "1:ncpus=2"}}, false)
	require.NoError(t, err)
	busy := []HostUse{{Name: "a", NCPUs: 2, Used: 1}, {Name: "b", NCPUs: 2}}
	assert.Equal(t, "b\n", Nodefile(Place(req, busy)))
	excl, err := ResolveRequest(OpenPBS, []Resource{{"select", "1:ncpus=1"}, {"place", "excl"}}, false)
	require.NoError(t, err)
	assert.Equal(t, "b\n", Nodefile(Place(excl, busy)), "excl takes only an unused host")
	held := []HostUse{{Name: "a", NCPUs: 2, Used: 1, Exclusive: true}}
	assert.Nil(t, Place(req, held), "nothing joins a host an excl job holds")
}

func TestJobEnvByDialect(t *testing.T) {
	req, err := ResolveRequest(Torque, []Resource{{"nodes", "2:ppn=3"}, {"walltime", "60"}}, false)
	require.NoError(t, err)
	ps := Place(req, hosts("a", 4, "b", 4))
	vars := JobVars{ID: "7[2].s", Name: "n", Queue: "batch", Nodefile: "/x/aux/7[2].s", Home: "/root", Placements: ps, Request: req, ArrayID: "7[].s", Index: 2}
	env := strings.Join(JobEnv(Torque, vars, map[string]string{"PATH": "/bin", "PBS_NP": "bogus"}, map[string]string{"PBS_O_WORKDIR": "/w"}), "\n") + "\n"
	for _, kv := range []string{"PBS_NUM_NODES=2", "PBS_NUM_PPN=3", "PBS_NP=6", "PBS_VNODENUM=0", "PBS_ARRAYID=2", "PBS_WALLTIME=60",
		"PBS_JOBID=7[2].s", "PBS_NODEFILE=/x/aux/7[2].s", "PBS_O_WORKDIR=/w", "PATH=/bin", "PBS_ENVIRONMENT=PBS_BATCH"} {
		assert.Contains(t, env, kv+"\n")
	}
	assert.NotContains(t, env, "PBS_ARRAY_INDEX")

	req, err = ResolveRequest(OpenPBS, []Resource{{"select", "2:ncpus=4:ompthreads=2"}}, false)
	require.NoError(t, err)
	vars.Request, vars.Placements, vars.Account = req, Place(req, hosts("a", 4, "b", 4)), "proj"
	env = strings.Join(JobEnv(OpenPBS, vars, nil, nil), "\n") + "\n"
	for _, kv := range []string{"NCPUS=2", "OMP_NUM_THREADS=2", "PBS_ARRAY_INDEX=2", "PBS_ARRAY_ID=7[].s", "PBS_ACCOUNT=proj", "PBS_JOBDIR=/root"} {
		assert.Contains(t, env, kv+"\n")
	}
	for _, k := range []string{"PBS_NUM_NODES", "PBS_NUM_PPN", "PBS_NP=", "PBS_ARRAYID"} {
		assert.NotContains(t, env, k, "OpenPBS sets no %s", k)
	}
}

func TestParseWalltime(t *testing.T) {
	for s, want := range map[string]time.Duration{"30": 30 * time.Second, "1:30": 90 * time.Second, "2:00:00": 2 * time.Hour, "10.5": 10 * time.Second} {
		got, err := ParseWalltime(OpenPBS, s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "1::2", "a", "1:2:3:4", "-1", "1.", "1.x"} {
		_, err := ParseWalltime(OpenPBS, s)
		assert.Error(t, err, s)
	}
	_, err := ParseWalltime(Torque, "1.5")
	assert.Error(t, err)
}
