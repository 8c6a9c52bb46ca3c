package sched

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// condorEnv fakes the environment of node procNo of an n-node parallel job
// whose current run started at started. Its EnteredCurrentStatus is made to
// differ from node to node, as HTCondor's do.
func condorEnv(t *testing.T, dir string, procNo, n string, started string) func(string) (string, bool) {
	ad := filepath.Join(t.TempDir(), ".job.ad")
	require.NoError(t, os.WriteFile(ad, []byte("ClusterId = 12\nProcId = 0\nEnteredCurrentStatus = 99"+procNo+"\nJobCurrentStartDate = "+started+"\nRequestCpus = 2\nOwner = \"alice\"\n"), 0o644))
	return fakeEnv("_CONDOR_PROCNO", procNo, "_CONDOR_NPROCS", n, "_CONDOR_JOB_AD", ad, "_CONDOR_JOB_IWD", dir)
}

func TestDetectCondor(t *testing.T) {
	dir := t.TempDir()
	d, err := Detect(condorEnv(t, dir, "1", "3", "1700000000"))
	require.NoError(t, err)
	assert.Equal(t, Condor, d.Scheduler)
	c := d.Condor
	assert.Equal(t, 1, c.ProcNo)
	assert.Equal(t, 3, c.NProcs)
	assert.Equal(t, 2, c.Slots, "RequestCpus")
	assert.Equal(t, Rendezvous{Dir: dir, Run: "12.0.1700000000", N: 3}, c.Rendezvous)

	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"_CONDOR_PROCNO", "0"}, `inconsistent HTCondor variables: _CONDOR_PROCNO="0" and _CONDOR_NPROCS="": need both`},
		{[]string{"_CONDOR_PROCNO", "3", "_CONDOR_NPROCS", "3"}, "inconsistent HTCondor variables: _CONDOR_PROCNO=3 is not below _CONDOR_NPROCS=3"},
		{[]string{"_CONDOR_PROCNO", "x", "_CONDOR_NPROCS", "3"}, `_CONDOR_PROCNO="x": want a node number`},
		{[]string{"_CONDOR_PROCNO", "0", "_CONDOR_NPROCS", "2"}, "HTCondor parallel job: set SPMD_CONTACT_DIR to a directory every node shares (_CONDOR_JOB_IWD is not set either)"},
		{[]string{"_CONDOR_PROCNO", "0", "_CONDOR_NPROCS", "2", "SPMD_CONTACT_DIR", dir},
			"HTCondor parallel job: no run id: set SPMD_RUN_ID, or _CONDOR_JOB_AD to a job ad with ClusterId and JobCurrentStartDate or ShadowBday"},
	} {
		_, err := Detect(fakeEnv(tt.env...))
		assert.EqualError(t, err, tt.want, "%v", tt.env)
	}
	d, err = Detect(fakeEnv("_CONDOR_PROCNO", "0", "_CONDOR_NPROCS", "1", "SPMD_CONTACT_DIR", dir, "SPMD_RUN_ID", "r1"))
	require.NoError(t, err)
	assert.Equal(t, Rendezvous{Dir: dir, Run: "r1", N: 1}, d.Condor.Rendezvous)
	assert.Equal(t, 1, d.Condor.Slots)
}

func TestRendezvousIgnoresStaleContacts(t *testing.T) {
	dir := t.TempDir()
	old := Rendezvous{Dir: dir, Run: "12.0.100", N: 3}
	for i := range 3 {
		require.NoError(t, old.Publish(Contact{ProcNo: i, Host: "old" + string(rune('a'+i)), Slots: 1}))
	}
	// The job restarts after an eviction: a new run over the same directory.
	r := Rendezvous{Dir: dir, Run: "12.0.200", N: 3, Poll: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			assert.NoError(t, r.Publish(Contact{ProcNo: i, Host: []string{"n0", "n1", "n0"}[i], Slots: 2, Addr: "10.0.0.1:700" + string(rune('0'+i))}))
		})
	}
	contacts, err := r.Collect(ctx)
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, []Contact{
		{ProcNo: 0, Host: "n0", Slots: 2, Addr: "10.0.0.1:7000"},
		{ProcNo: 1, Host: "n1", Slots: 2, Addr: "10.0.0.1:7001"},
		{ProcNo: 2, Host: "n0", Slots: 2, Addr: "10.0.0.1:7002"},
	}, contacts)
	c := &CondorJob{NProcs: 3, Rendezvous: r}
	a, err := c.Allocation(contacts)
	require.NoError(t, err)
	assert.Equal(t, []Host{{Name: "n0", Slots: 4}, {Name: "n1", Slots: 2}}, a.Hosts)

	r.Remove()
	left, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Empty(t, left, "this run's contacts removed, no temporary files left")
}

func TestRendezvousMissingNodes(t *testing.T) {
	dir := t.TempDir()
	stale := Rendezvous{Dir: dir, Run: "old", N: 3}
	require.NoError(t, stale.Publish(Contact{ProcNo: 2, Host: "x", Slots: 1}))
	r := Rendezvous{Dir: dir, Run: "new", N: 3, Poll: time.Millisecond}
	require.NoError(t, r.Publish(Contact{ProcNo: 0, Host: "n0", Slots: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Collect(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "1 of 3 nodes of run new seen, none from node(s) 1,2 (node 2's names run old)")

	// A contact that does not parse is an error at once, not a wait.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "spmd-contact.1"), []byte("garbage\n"), 0o644))
	_, err = r.Collect(context.Background())
	assert.ErrorIs(t, err, ErrSyntax)
}

func TestParseContact(t *testing.T) {
	c, run, err := ParseContact("spmd-contact run=r procno=3 host=n3 slots=4 addr=-\n")
	require.NoError(t, err)
	assert.Equal(t, "r", run)
	assert.Equal(t, &Contact{ProcNo: 3, Host: "n3", Slots: 4, Addr: "-"}, c)
	for _, bad := range []string{"", "spmd-contact", "spmd-contact run=r procno=x host=n slots=1 addr=-",
		"spmd-contact run=r procno=1 host=n slots=0 addr=-", "spmd-contact run=r procno=1 host=n/ slots=1 addr=-",
		"spmd-contact run=r procno=1 host=n slots=1 addr"} {
		_, _, err := ParseContact(bad)
		assert.ErrorIs(t, err, ErrSyntax, bad)
	}
}

// The nodes of one parallel job must agree on the run id although their job
// ads' EnteredCurrentStatus differ (a real HTCondor pool showed it: node 0
// and node 1 of one run wrote different ids and waited for each other for
// ever).
func TestRunIDAgreesAcrossNodes(t *testing.T) {
	for _, tt := range []struct {
		name string
		ad   map[string]string
		want string
	}{
		{"start date", map[string]string{"clusterid": "4", "procid": "0", "enteredcurrentstatus": "1796537134", "jobcurrentstartdate": "1796537130", "shadowbday": "1796537129"}, "4.0.1796537130"},
		{"start date, other node", map[string]string{"clusterid": "4", "procid": "0", "enteredcurrentstatus": "1796537139", "jobcurrentstartdate": "1796537130", "shadowbday": "1796537129"}, "4.0.1796537130"},
		{"shadow birthday", map[string]string{"clusterid": "4", "procid": "0", "enteredcurrentstatus": "1796537139", "shadowbday": "1796537129"}, "4.0.1796537129"},
		{"entered status alone", map[string]string{"clusterid": "4", "procid": "0", "enteredcurrentstatus": "1796537139"}, ""},
		{"no cluster", map[string]string{"jobcurrentstartdate": "1796537130"}, ""},
	} {
		got, err := runID(tt.ad)
		if tt.want == "" {
			assert.Error(t, err, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}
