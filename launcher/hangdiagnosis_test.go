package launcher

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// waiting is a rank's report of one blocked operation in call at site.
func waiting(call string, ctx uint32, site string) rankDiag {
	return rankDiag{State: stateReported, Report: blockedReport{V2: true, Queues: &matchQueues{},
		Ops: []blockedOp{{Op: "recv", Peer: 1, Tag: 7, Ctx: ctx, Bytes: 8, Blocked: time.Second,
			Call: call, Fn: "main.main", Site: site}}}}
}

// idle is a rank's report of no blocked operation, its goroutine in fn.
func idle(fn, site string) rankDiag {
	return rankDiag{State: stateReported, Report: blockedReport{V2: true, Queues: &matchQueues{},
		Idle: []userSite{{Fn: fn, Site: site}}, Stacks: "goroutine 1 [sleep]:\nmain.dawdle()\n\t/p/main.go:49"}}
}

func TestDiagnose(t *testing.T) {
	barrier := waiting("Barrier", 1, "main.go:24")
	for name, c := range map[string]struct {
		ranks []rankDiag
		want  hangDiagnosis
	}{
		"one forgets the barrier": {
			ranks: []rankDiag{barrier, barrier, barrier, idle("main.dawdle", "main.go:22"), barrier, barrier},
			want: hangDiagnosis{Places: []rankPlace{
				{Ranks: []int{0, 1, 2, 4, 5}, What: "waits in Barrier (main.go:24)", Waiting: true},
				{Ranks: []int{3}, What: "is not in spmd: main.dawdle (main.go:22)"},
			}, Odd: []int{3}},
		},
		"all wait in the same place": {
			ranks: []rankDiag{barrier, barrier},
			want:  hangDiagnosis{Places: []rankPlace{{Ranks: []int{0, 1}, What: "waits in Barrier (main.go:24)", Waiting: true}}},
		},
		"a tie has no odd one out": {
			ranks: []rankDiag{barrier, waiting("Recv", 0, "main.go:30"), barrier, waiting("Recv", 0, "main.go:30")},
			want: hangDiagnosis{Places: []rankPlace{
				{Ranks: []int{0, 2}, What: "waits in Barrier (main.go:24)", Waiting: true},
				{Ranks: []int{1, 3}, What: "waits in Recv from 1 tag 7 8 B (main.go:30)", Waiting: true},
			}},
		},
		"the same call at another line is another place": {
			ranks: []rankDiag{barrier, waiting("Barrier", 1, "main.go:31"), barrier},
			want: hangDiagnosis{Places: []rankPlace{
				{Ranks: []int{0, 2}, What: "waits in Barrier (main.go:24)", Waiting: true},
				{Ranks: []int{1}, What: "waits in Barrier (main.go:31)", Waiting: true},
			}, Odd: []int{1}},
		},
		"ranks that did not report are odd ones too": {
			ranks: []rankDiag{barrier, {State: stateExited}, barrier, {State: stateNoReport}, {State: stateNotSpmd},
				{State: stateReported, Report: blockedReport{V2: true}}, barrier},
			want: hangDiagnosis{Places: []rankPlace{
				{Ranks: []int{0, 2, 6}, What: "waits in Barrier (main.go:24)", Waiting: true},
				{Ranks: []int{1}, What: "exited"},
				{Ranks: []int{3}, What: "did not answer"},
				{Ranks: []int{4}, What: "is not an spmd rank"},
				{Ranks: []int{5}, What: "is not in spmd"},
			}, Odd: []int{1, 3, 4, 5}},
		},
		"the first format has no call": {
			ranks: []rankDiag{{State: stateReported, Report: blockedReport{Ops: []blockedOp{{Op: "recv"}}}}},
			want:  hangDiagnosis{Places: []rankPlace{{Ranks: []int{0}, What: "waits in recv", Waiting: true}}},
		},
	} {
		t.Run(name, func(t *testing.T) { assert.Equal(t, c.want, diagnose(c.ranks)) })
	}
}

func TestRankRanges(t *testing.T) {
	assert.Equal(t, "rank 3", rankRanges([]int{3}))
	assert.Equal(t, "ranks 0-2,4-5", rankRanges([]int{0, 1, 2, 4, 5}))
	assert.Equal(t, "ranks 1,3,7-8", rankRanges([]int{1, 3, 7, 8}))
}

func TestCallLabel(t *testing.T) {
	for want, op := range map[string]blockedOp{
		"Recv from 1 tag 7 8 B":        {Op: "recv", Peer: 1, Tag: 7, Bytes: 8, Call: "Recv"},
		"Probe from any tag any":       {Op: "probe", Peer: anyRank, Tag: anyRank, Call: "Probe"},
		"Send to 2 tag 0 8 KiB":        {Op: "send", Peer: 2, Bytes: 8 << 10, Call: "Send"},
		"Wait":                         {Op: "wait", Call: "Wait"},
		"Barrier":                      {Op: "recv", Peer: 3, Tag: 16, Ctx: 1, Call: "Barrier"},
		"Allreduce (ring)":             {Op: "recv", Peer: 3, Ctx: 5, Bytes: 1 << 20, Call: "Allreduce", Alg: "ring"},
		"ssend":                        {Op: "ssend", Peer: 3},
		"Sendrecv from 0 tag 1 1000 B": {Op: "recv", Tag: 1, Bytes: 1000, Call: "Sendrecv"},
	} {
		assert.Equal(t, want, callLabel(op))
	}
}

func TestFormatDiagnosis(t *testing.T) {
	barrier := waiting("Barrier", 1, "main.go:24")
	barrier.Report.Queues = &matchQueues{Posted: 1, Unexpected: 2, UnexpectedBytes: 16}
	ranks := []rankDiag{barrier, barrier, idle("main.dawdle", "main.go:22")}
	want := "" +
		"  diagnosis:\n" +
		"    ranks 0-1 wait in Barrier (main.go:24)\n" +
		"    rank 2 is not in spmd: main.dawdle (main.go:22)\n" +
		"    odd one out: rank 2\n" +
		"  rank 2, goroutines outside spmd:\n" +
		"    goroutine 1 [sleep]:\n" +
		"    main.dawdle()\n" +
		"        /p/main.go:49\n" +
		"  pending messages of the waiting ranks:\n" +
		"    rank 0: 1 posted receives, 2 unexpected messages (16 B)\n" +
		"    rank 1: 1 posted receives, 2 unexpected messages (16 B)\n"
	assert.Equal(t, want, formatDiagnosis(ranks))
	assert.Empty(t, formatDiagnosis([]rankDiag{{State: stateReported}}), "reports of the first format: no diagnosis")
	tie := formatDiagnosis([]rankDiag{barrier, idle("main.dawdle", "main.go:22")})
	assert.Contains(t, tie, "    no group is larger than the others: no odd one out\n")
	assert.NotContains(t, tie, "goroutines outside spmd")
}
