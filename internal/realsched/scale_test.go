package realsched

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scaleRun is the part of a line of a study's runs.jsonl this test reads.
type scaleRun struct {
	P        int      `json:"p"`
	Kind     string   `json:"kind"`
	Nodes    int      `json:"nodes"`
	Oversub  bool     `json:"oversubscribed"`
	PPN      int      `json:"ppn"`
	Ranks    int      `json:"ranks"`
	ExitCode int      `json:"exit_code"`
	Error    string   `json:"error"`
	Hosts    []string `json:"hosts"`
	RankHost []int    `json:"rank_host"`
	Log      string   `json:"log"`
}

// TestSlurmBatchScale submits the job spmdsubmit --scale writes for 2
// of the 3 nodes (2 ranks each) and checks what issue 15 promises of a
// study inside a batch allocation: the whole sweep runs in that one job,
// every run on the allocation's nodes only and spread over them as --fill
// says, and nothing is submitted again.
func TestSlurmBatchScale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scale string
		// want is, for each p, the ranks on the job's first and second
		// node (Slurm lists them sorted; the first is the batch host).
		want map[int][2]int
		// over are the points with more ranks than the job's 4 slots.
		over []int
	}{
		{"fill node", "--np 1,2,4", map[int][2]int{1: {1, 0}, 2: {2, 0}, 4: {2, 2}}, nil},
		{"fill spread oversubscribed", "--np 2,3,8 --fill spread", map[int][2]int{2: {1, 1}, 3: {2, 1}, 8: {4, 4}}, []int{8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := cluster(t, 3)
			dir, err := os.MkdirTemp(tmpDir(t), "scale-")
			require.NoError(t, err)
			study := filepath.Join(dir, "study")
			sub := []string{"-N", "2", "-ppn", "2",
				"--spmdrun", program(t, "spmdrun"), "--spmdbench", program(t, "spmdbench"),
				"--scale", tc.scale + " --repeat 2 --run-timeout 30s --out " + study,
				"-o", dir, "slurm", program(t, "hello")}
			out, err := exec.Command(program(t, "spmdsubmit"), sub...).CombinedOutput()
			require.NoError(t, err, "spmdsubmit: %s", out)
			scripts, err := filepath.Glob(filepath.Join(dir, "*.sbatch"))
			require.NoError(t, err)
			require.Len(t, scripts, 1, "spmdsubmit -o %s wrote %v", dir, scripts)

			r := c.run(t, dir, nil, "sbatch", "--wait", "--parsable", "--output="+filepath.Join(dir, "out"), scripts[0])
			jobOut, _ := os.ReadFile(filepath.Join(dir, "out"))
			require.Equal(t, 0, r.code, "sbatch --wait: %s\njob output:\n%s", r.stderr, jobOut)
			id, _, _ := strings.Cut(strings.TrimSpace(r.stdout), ";")
			require.Regexp(t, `^\d+$`, id, "sbatch --parsable printed %q", r.stdout)
			srunQuiet(t, string(jobOut))
			nodes := c.onlyJobFrom(t, dir, id)

			for _, f := range []string{"runs.csv", "runs.jsonl", "summary.json", "report.md"} {
				fi, err := os.Stat(filepath.Join(study, f))
				if assert.NoError(t, err, "the study's %s\njob output:\n%s", f, jobOut) {
					assert.NotZero(t, fi.Size(), "the study's %s is empty", f)
				}
			}
			perP := map[int]int{}
			for _, run := range readRuns(t, filepath.Join(study, "runs.jsonl")) {
				perP[run.P]++
				if !assert.Equal(t, 0, run.ExitCode, "run p=%d: %s", run.P, run.Error) {
					continue
				}
				log, err := os.ReadFile(filepath.Join(study, run.Log))
				require.NoError(t, err)
				// Where the ranks ran, by their own account (the host
				// name of the node's namespace) and by spmdrun's report.
				printed := helloHosts(t, string(log), run.Ranks)
				recorded := map[string]int{}
				if assert.Len(t, run.RankHost, run.Ranks, "run p=%d: rank→host map", run.P) {
					for _, h := range run.RankHost {
						if assert.True(t, h >= 0 && h < len(run.Hosts), "run p=%d: host index %d of %v", run.P, h, run.Hosts) {
							recorded[run.Hosts[h]]++
						}
					}
				}
				assert.Equal(t, printed, recorded, "run p=%d: where the ranks said they ran, and spmdrun's rank→host map", run.P)
				want := map[string]int{}
				for i, n := range tc.want[run.P] {
					if n > 0 {
						want[nodes[i]] = n
					}
				}
				assert.Equal(t, want, printed, "run p=%d: ranks per node of the job's %v\n%s", run.P, nodes, log)
				assert.Equal(t, len(want), run.Nodes, "run p=%d: recorded nodes", run.P)
				assert.Equal(t, slices.Contains(tc.over, run.P), run.Oversub, "run p=%d: recorded as oversubscribed", run.P)
			}
			wantRuns := map[int]int{}
			for p := range tc.want {
				wantRuns[p] = 2
			}
			assert.Equal(t, wantRuns, perP, "runs per p in runs.jsonl")
		})
	}
}

// onlyJobFrom asserts that job id is the only job that ran from dir, and
// returns the job's nodes, in Slurm's order. A sweep that submitted again
// (sbatch, salloc, or an srun outside the allocation, which makes a job
// of its own) would show another job there. Slurm keeps ended jobs listed
// for MinJobAge (a minute in slurm-cluster.sh's configuration), longer
// than the jobs of these tests take.
func (c *slurmCluster) onlyJobFrom(t *testing.T, dir, id string) []string {
	t.Helper()
	r := c.run(t, dir, nil, "scontrol", "--oneliner", "show", "jobs")
	require.Equal(t, 0, r.code, "scontrol show jobs: %s", r.stderr)
	var fromDir []string
	alloc := ""
	for l := range strings.SplitSeq(strings.TrimSpace(r.stdout), "\n") {
		f := jobFields(l)
		if f["WorkDir"] == dir {
			fromDir = append(fromDir, f["JobId"])
		}
		if f["JobId"] == id {
			alloc = f["NodeList"]
		}
	}
	assert.Equal(t, []string{id}, fromDir, "jobs that ran from %s: want only the study's own job\n%s", dir, r.stdout)
	require.NotEmpty(t, alloc, "job %s not listed by scontrol show jobs:\n%s", id, r.stdout)
	r = c.run(t, dir, nil, "scontrol", "show", "hostnames", alloc)
	require.Equal(t, 0, r.code, "scontrol show hostnames %s: %s", alloc, r.stderr)
	nodes := strings.Fields(r.stdout)
	require.Len(t, nodes, 2, "job %s's nodes %q", id, alloc)
	for _, n := range nodes {
		require.Contains(t, c.names, n)
	}
	return nodes
}

// jobFields splits a line of scontrol --oneliner show jobs into its
// KEY=VALUE fields.
func jobFields(line string) map[string]string {
	f := map[string]string{}
	for w := range strings.FieldsSeq(line) {
		if k, v, ok := strings.Cut(w, "="); ok {
			f[k] = v
		}
	}
	return f
}

// readRuns reads a study's runs.jsonl.
func readRuns(t *testing.T, path string) []scaleRun {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var runs []scaleRun
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r scaleRun
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "runs.jsonl line %d: %s", len(runs)+1, sc.Text())
		runs = append(runs, r)
	}
	require.NoError(t, sc.Err())
	slices.SortFunc(runs, func(a, b scaleRun) int { return a.P - b.P })
	require.NotEmpty(t, runs, "runs.jsonl is empty")
	return runs
}
