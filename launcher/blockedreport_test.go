package launcher

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBlocked(t *testing.T) {
	tests := []struct {
		value string
		want  blockedReport
	}{
		{"none", blockedReport{}},
		{"recv,1,7,0,8,4900", blockedReport{Ops: []blockedOp{
			{Op: "recv", Peer: 1, Tag: 7, Ctx: 0, Bytes: 8, Blocked: 4900 * time.Millisecond}}}},
		{"probe,any,any,1,0,101;wait,any,any,0,0,100", blockedReport{Ops: []blockedOp{
			{Op: "probe", Peer: anyRank, Tag: anyRank, Ctx: 1, Blocked: 101 * time.Millisecond},
			{Op: "wait", Peer: anyRank, Tag: anyRank, Blocked: 100 * time.Millisecond}}}},
		{"ssend,3,0,4294967295,1048576,0;+12", blockedReport{Ops: []blockedOp{
			{Op: "ssend", Peer: 3, Tag: 0, Ctx: 4294967295, Bytes: 1 << 20}}, More: 12}},
		{"+5", blockedReport{More: 5}},
		{"barrier,0,0,5,0,7", blockedReport{Ops: []blockedOp{ // an operation this launcher does not know
			{Op: "barrier", Ctx: 5, Blocked: 7 * time.Millisecond}}}},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := parseBlocked(tt.value)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseBlockedRejects(t *testing.T) {
	for _, v := range []string{
		"", "None", "none;none", ";", "recv,1,7,0,8,4900;",
		"recv,1,7,0,8", "recv,1,7,0,8,4900,1", "Recv,1,7,0,8,1", "recv2,1,7,0,8,1", "abcdefghijklmnopq,1,7,0,8,1",
		"recv,-1,7,0,8,1", "recv,+1,7,0,8,1", "recv,x,7,0,8,1", "recv,1,ANY,0,8,1", "recv,2147483648,0,0,8,1",
		"recv,1,7,4294967296,8,1", "recv,1,7,-0,8,1", "recv,1,7,0,-8,1", "recv,1,7,0,8,1.5",
		"recv,1,7,0,8,9223372036854775807", "recv,1,7,0,8, 1",
		"+0", "+", "+x", "+-1", "+3;recv,1,7,0,8,1", "recv,1,7,0,8,1;+2;+3",
	} {
		_, err := parseBlocked(v)
		assert.Error(t, err, "%q", v)
	}
}

func TestCommName(t *testing.T) {
	for ctx, want := range map[uint32]string{
		0: "world", 1: "world/coll", 2: "ctx 2", 3: "ctx 2/coll", 10: "ctx 10", 11: "ctx 10/coll",
	} {
		assert.Equal(t, want, commName(ctx), ctx)
	}
}

func TestFormatBlocked(t *testing.T) {
	for d, want := range map[time.Duration]string{
		100 * time.Millisecond:    "0.10s",
		4900 * time.Millisecond:   "4.90s",
		59994 * time.Millisecond:  "59.99s",
		time.Minute:               "1m0s",
		125400 * time.Millisecond: "2m5s",
		3 * time.Hour:             "3h0m0s",
	} {
		assert.Equal(t, want, formatBlocked(d), d)
	}
}

func TestFormatBlockedTable(t *testing.T) {
	ranks := []rankDiag{
		{State: stateReported},
		{State: stateReported, Report: blockedReport{Ops: []blockedOp{
			{Op: "recv", Peer: 0, Tag: 7, Ctx: 0, Bytes: 8, Blocked: 4900 * time.Millisecond},
			{Op: "send", Peer: anyRank, Tag: anyRank, Ctx: 3, Bytes: 16, Blocked: 120 * time.Millisecond},
		}, More: 2}},
		{State: stateNoReport},
		{State: stateNotSpmd},
		{State: stateExited},
		{State: stateFinalized},
		{State: stateBadReport},
		{State: stateNotStarted},
	}
	want := "" +
		"  rank  op    peer  tag  comm        bytes  blocked\n" +
		"  0     -     -     -    -           -      (not blocked in spmd)\n" +
		"  1     recv  0     7    world       8      4.90s\n" +
		"  1     send  any   any  ctx 2/coll  16     0.12s\n" +
		"  1     ...   -     -    -           -      (2 more not shown)\n" +
		"  2     ?     -     -    -           -      (no report)\n" +
		"  3     ?     -     -    -           -      (not an spmd rank)\n" +
		"  4     -     -     -    -           -      (exited)\n" +
		"  5     -     -     -    -           -      (finalized)\n" +
		"  6     ?     -     -    -           -      (unreadable report)\n" +
		"  7     -     -     -    -           -      (not started)\n"
	assert.Equal(t, want, formatBlockedTable(ranks))
}

// encodeBlocked writes r in the format parseBlocked reads, as an spmd rank
// would.
func encodeBlocked(r blockedReport) string {
	var entries []string
	num := func(n int) string {
		if n == anyRank {
			return "any"
		}
		return strconv.Itoa(n)
	}
	for _, op := range r.Ops {
		entries = append(entries, fmt.Sprintf("%s,%s,%s,%d,%d,%d", op.Op, num(op.Peer), num(op.Tag), op.Ctx, op.Bytes,
			op.Blocked.Milliseconds()))
	}
	if r.More > 0 {
		entries = append(entries, "+"+strconv.Itoa(r.More))
	}
	if len(entries) == 0 {
		return "none"
	}
	return strings.Join(entries, ";")
}

// FuzzParseBlocked checks that parseBlocked never panics, that what it
// accepts survives a round trip through the rank's format, and that the
// table has one row per operation.
func FuzzParseBlocked(f *testing.F) {
	for _, s := range []string{"none", "recv,1,7,0,8,4900", "probe,any,any,1,0,101;wait,any,any,0,0,100;+3", "+1",
		"recv,1,7,0,8,4900,", "send,01,007,0,0,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, err := parseBlocked(v)
		if err != nil {
			return
		}
		again, err := parseBlocked(encodeBlocked(r))
		require.NoError(t, err, "re-encoded %q", encodeBlocked(r))
		require.Equal(t, r, again)
		table := formatBlockedTable([]rankDiag{{State: stateReported, Report: r}})
		rows := len(r.Ops)
		if r.More > 0 {
			rows++
		}
		rows = max(rows, 1) // "not blocked in spmd"
		require.Equal(t, 1+rows, strings.Count(table, "\n"), table)
	})
}
