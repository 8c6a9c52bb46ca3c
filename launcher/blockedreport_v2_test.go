package launcher

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A report as package comm writes it for a rank waiting in a Barrier, and
// one for a rank outside spmd.
const (
	barrierReportV2 = "recv,4,16,1,0,510,Barrier,-,main.main,main.go%3A41;q,1,1,0"
	idleReportV2    = "q,0,0,0;u,main.dawdle,main.go%3A49;s,goroutine+1+%5Bsleep%5D%3A%0Amain.dawdle%28%29%0A%09%2Fp%2Fmain.go%3A49"
)

func TestParseBlockedV2(t *testing.T) {
	r, err := parseBlockedV2(barrierReportV2)
	require.NoError(t, err)
	assert.Equal(t, blockedReport{V2: true, Queues: &matchQueues{Posted: 1, Unexpected: 1},
		Ops: []blockedOp{{Op: "recv", Peer: 4, Tag: 16, Ctx: 1, Bytes: 0, Blocked: 510 * time.Millisecond,
			Call: "Barrier", Fn: "main.main", Site: "main.go:41"}}}, r)

	r, err = parseBlockedV2(idleReportV2)
	require.NoError(t, err)
	assert.Equal(t, blockedReport{V2: true, Queues: &matchQueues{},
		Idle:   []userSite{{Fn: "main.dawdle", Site: "main.go:49"}},
		Stacks: "goroutine 1 [sleep]:\nmain.dawdle()\n\t/p/main.go:49"}, r)

	r, err = parseBlockedV2("wait,any,any,0,0,150,Wait,-,-,-;+2;q,0,0,0")
	require.NoError(t, err)
	assert.Equal(t, 2, r.More)
	assert.Equal(t, "Wait", r.Ops[0].Call)
}

func TestParseBlockedV2Rejects(t *testing.T) {
	for _, v := range []string{
		"",
		"recv,4,16,1,0,510,Barrier,-,main.main,main.go%3A41", // no q
		"q,0,0,0;recv,4,16,1,0,510,Barrier,-,-,-",            // an operation after q
		"recv,4,16,1,0,510,Barrier,-,-;q,0,0,0",              // nine fields
		"q,0,0;",                                             // short q
		"q,0,0,0;q,0,0,0",                                    // two q
		"q,0,0,0;u,main.x",                                   // short u
		"q,0,0,0;u,main.x,%zz",                               // bad escape
		"q,0,0,0;u,main.x,a%0Ab",                             // a newline in a field
		"q,0,0,0;s,a%1Bb",                                    // an escape character in the stacks
		"q,0,0,0;s,a;s,b",                                    // two stacks
		"+1;+2;q,0,0,0",                                      // two counts
		"recv,x,16,1,0,510,Barrier,-,-,-;q,0,0,0",            // a bad peer
	} {
		_, err := parseBlockedV2(v)
		assert.Error(t, err, "%q", v)
	}
}

func TestParseFragment(t *testing.T) {
	i, n, piece, err := parseFragment("v2:2:3:a:b;c")
	require.NoError(t, err)
	assert.Equal(t, []any{2, 3, "a:b;c"}, []any{i, n, piece})
	for _, v := range []string{"v2:0:1:x", "v2:2:1:x", "v2:1:17:x", "v2:1:x", "v2:a:1:x", "v1:1:1:x", "v2:-1:1:x"} {
		_, _, _, err := parseFragment(v)
		assert.Error(t, err, "%q", v)
	}
}

func TestFormatBlockedTableV2(t *testing.T) {
	b, err := parseBlockedV2(barrierReportV2)
	require.NoError(t, err)
	i, err := parseBlockedV2(idleReportV2)
	require.NoError(t, err)
	want := "" +
		"  rank  call     at          op    peer  tag  comm        bytes  blocked\n" +
		"  0     Barrier  main.go:41  recv  4     16   world/coll  0      0.51s\n" +
		"  1     -        -           -     (not blocked in spmd)\n" +
		"  2     -        -           ?     (no report)\n"
	assert.Equal(t, want, formatBlockedTable([]rankDiag{
		{State: stateReported, Report: b}, {State: stateReported, Report: i}, {State: stateNoReport}}))
}

// FuzzParseBlockedV2 checks that parseBlockedV2 never panics, that what it
// accepts survives a round trip through the rank's format, and that the
// table and the diagnosis can be made of it.
func FuzzParseBlockedV2(f *testing.F) {
	for _, s := range []string{barrierReportV2, idleReportV2, "wait,any,any,0,0,150,Wait,-,-,-;+2;q,0,0,0",
		"q,0,0,0", "recv,1,7,0,8,4900,Recv,-,main.main,main.go%3A30;q,1,0,0;u,-,-",
		"recv,1,7,5,8,4900,Allreduce,ring,main.solve,solve.go%3A7;q,0,3,24"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, err := parseBlockedV2(v)
		if err != nil {
			return
		}
		again, err := parseBlockedV2(encodeBlockedV2(r))
		require.NoError(t, err, "re-encoded %q", encodeBlockedV2(r))
		require.Equal(t, r, again)
		ranks := []rankDiag{{State: stateReported, Report: r}, {State: stateExited}}
		table := formatBlockedTable(ranks)
		rows := max(len(r.Ops)+min(r.More, 1), 1)
		require.Equal(t, 1+rows+1, strings.Count(table, "\n"), table)
		require.True(t, strings.HasPrefix(formatDiagnosis(ranks), "  diagnosis:\n"))
	})
}
