package comm

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiagnosticsBlockedSince(t *testing.T) {
	var d diagnostics
	now := time.Now()
	assert.Empty(t, d.blockedSince(now))
	recent := &blockedOp{op: "send", peer: 3, tag: 1, since: now.Add(-time.Millisecond)}
	old := &blockedOp{op: "recv", peer: 1, tag: 7, ctx: 0, bytes: 8, since: now.Add(-4900 * time.Millisecond)}
	older := &blockedOp{op: "probe", peer: -1, tag: AnyTag, ctx: 3, since: now.Add(-5 * time.Second)}
	for _, op := range []*blockedOp{recent, old, older} {
		d.enter(op)
	}
	assert.Equal(t, []*blockedOp{older, old}, d.blockedSince(now),
		"longest first; operations blocked under 100 ms are left out")
	d.leave(older)
	assert.Equal(t, []*blockedOp{old}, d.blockedSince(now))
}

// testReportV2NamesCallAndSiteRing registers a blocked operation through a
// library function named like a collective's algorithm.
func testReportV2NamesCallAndSiteRing(d *diagnostics, op *blockedOp) { d.enter(op) }

func TestReportV2NamesCallAndSite(t *testing.T) {
	var d diagnostics
	now := time.Now()
	op := &blockedOp{op: "recv", peer: 1, tag: 7, bytes: 8, since: now.Add(-2 * time.Second)}
	testReportV2NamesCallAndSiteRing(&d, op)
	r := reportV2(d.blockedSince(now), now, queues{1, 2, 16}, nil)
	// The test's own package is comm, a library package: the call is the
	// outermost comm frame and the user is the testing package's caller.
	e := strings.Split(r, ";")
	require.Len(t, e, 2, r)
	f := strings.Split(e[0], ",")
	require.Len(t, f, 10, r)
	assert.Equal(t, []string{"recv", "1", "7", "0", "8", "2000"}, f[:6])
	assert.Equal(t, "TestReportV2NamesCallAndSite", f[6], "the outermost library function")
	assert.Equal(t, "ring", f[7], "the algorithm, from a function named after the call")
	assert.Equal(t, "testing.tRunner", mustUnescape(t, f[8]))
	assert.Regexp(t, `^testing\.go:\d+$`, mustUnescape(t, f[9]))
	assert.Equal(t, "q,1,2,16", e[1])
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.QueryUnescape(s)
	require.NoError(t, err)
	return u
}

func TestSiteNames(t *testing.T) {
	for fn, want := range map[string][2]string{
		"github.com/spmd-go/spmd/collective.Barrier":              {"collective.Barrier", "Barrier"},
		"github.com/spmd-go/spmd/comm.(*Comm).Recv":               {"comm.(*Comm).Recv", "Recv"},
		"github.com/spmd-go/spmd/comm.Recv[...]":                  {"comm.Recv", "Recv"},
		"github.com/spmd-go/spmd/collective.Allreduce[...].func1": {"collective.Allreduce.func1", "Allreduce"},
		"main.main": {"main.main", "main"},
	} {
		assert.Equal(t, want[0], shortName(fn), fn)
		assert.Equal(t, want[1], memberName(fn), fn)
	}
	assert.True(t, isLibrary("github.com/spmd-go/spmd/collective.Barrier"))
	assert.True(t, isLibrary("github.com/spmd-go/spmd/comm/internal/match.(*Engine).Post"))
	assert.False(t, isLibrary("github.com/spmd-go/spmd/examples/heat.step"))
	assert.False(t, isLibrary("github.com/spmd-go/spmd/comm_test.TestX"))
	assert.False(t, isLibrary("main.main"))
	assert.True(t, isStandard("runtime.gopark"))
	assert.True(t, isStandard("internal/poll.(*FD).Read"))
	assert.False(t, isStandard("main.work"))
	assert.False(t, isStandard("github.com/x/y.Z"))
}

func TestIdleUserGoroutines(t *testing.T) {
	dump := `goroutine 1 [sleep]:
time.Sleep(0x12a05f200)
	/usr/local/go/src/runtime/time.go:338 +0x165
main.main()
	/src/prog/main.go:22 +0x1b4

goroutine 7 [chan receive]:
github.com/spmd-go/spmd/comm.(*Request).WaitContext(0xc000100000, {0x5c1e40, 0x6f7b20})
	/src/spmd/comm/request.go:104 +0x1a5
github.com/spmd-go/spmd/collective.Barrier(0xc000120000)
	/src/spmd/collective/barrier.go:23 +0x45
main.worker()
	/src/prog/main.go:40 +0x2e
created by main.main in goroutine 1
	/src/prog/main.go:18 +0x66

goroutine 9 [select]:
github.com/spmd-go/spmd/comm.(*world).serveDiagnostics.func1()
	/src/spmd/comm/diag.go:150 +0x9c
created by github.com/spmd-go/spmd/comm.(*world).serveDiagnostics in goroutine 1
	/src/spmd/comm/diag.go:140 +0x1d5
`
	got := idleUserGoroutines([]byte(dump))
	require.Len(t, got, 1, "only main is a user goroutine outside spmd: %v", got)
	assert.Equal(t, callSite{fn: "main.main", site: "main.go:22"}, got[0].where)
	assert.Equal(t, "goroutine 1 [sleep]:\ntime.Sleep(0x12a05f200)\n\t/usr/local/go/src/runtime/time.go:338\n"+
		"main.main()\n\t/src/prog/main.go:22", got[0].stack)
}

func TestReportV2Bounds(t *testing.T) {
	now := time.Now()
	var ops []*blockedOp
	for i := range 200 {
		ops = append(ops, &blockedOp{op: "recv", peer: i, tag: i, since: now.Add(-time.Second)})
	}
	var dump strings.Builder
	for i := range 100 {
		fmt.Fprintf(&dump, "goroutine %d [sleep]:\nmain.deep%d()\n\t/src/prog/main.go:%d +0x1\n\n", i+1, i, i)
	}
	r := reportV2(ops, now, queues{}, []byte(dump.String()))
	assert.Regexp(t, `;\+\d+;q,`, r, "the operations that do not fit are counted")
	assert.Equal(t, maxIdle, strings.Count(r, ";u,"))
	assert.Contains(t, mustUnescape(t, r[strings.Index(r, ";s,")+3:]), "stacks cut at")
	frags := fragments(r)
	assert.LessOrEqual(t, len(frags), maxFragments)
	var whole strings.Builder
	for i, f := range frags {
		assert.LessOrEqual(t, len(f), 900)
		assert.NotContains(t, f, " ", "PMI values are space-free")
		prefix := fmt.Sprintf("v2:%d:%d:", i+1, len(frags))
		require.True(t, strings.HasPrefix(f, prefix), f)
		whole.WriteString(f[len(prefix):])
	}
	assert.Equal(t, r, whole.String())
}

func TestDescribe(t *testing.T) {
	r := &Request{isRecv: true, pollPeer: -1, nbytes: 16}
	r.recv.Tag, r.recv.Context = 5, 2
	assert.Equal(t, "recv,any,5,2,16,0", r.describe().entry(r.describe().since))
	s := &Request{w: &world{}, peer: 4, tag: 9, ctx: 1, sync: true, nbytes: 3}
	e := s.describe()
	assert.True(t, strings.HasPrefix(e.entry(e.since), "ssend,4,9,1,3,"), fmt.Sprint(e))
}

func TestAlgorithmOf(t *testing.T) {
	const coll = "github.com/spmd-go/spmd/collective."
	for _, c := range []struct {
		call    string
		library []string // innermost first; the last is the call
		want    string
	}{
		{"Allreduce", []string{"github.com/spmd-go/spmd/comm.(*Request).Wait", coll + "(*reduction[...]).ringStep",
			coll + "(*reduction[...]).allreduceRing", coll + "Allreduce[...]"}, "ring"},
		{"Allgather", []string{coll + "exchange[...]", coll + "allgatherRingFrom[...]", coll + "allgatherRun[...]",
			coll + "Allgather[...]"}, "ring"},
		{"Gather", []string{coll + "gatherLinearRoot[...]", coll + "gatherCase[...]", coll + "Gather[...]"}, "linear"},
		{"Reduce", []string{coll + "reduceInto[...]", coll + "(*reduction[...]).reduceBinomial", coll + "Reduce[...]"},
			"binomial"},
		{"Barrier", []string{coll + "exchange[...]", coll + "barrier", coll + "Barrier"}, ""},
		{"Recv", []string{"github.com/spmd-go/spmd/comm.(*Request).Wait", "github.com/spmd-go/spmd/comm.Recv[...]"}, ""},
	} {
		outer := c.library[len(c.library)-1]
		assert.Equal(t, c.want, algorithmOf(c.call, outer, c.library), "%s %v", c.call, c.library)
	}
}
