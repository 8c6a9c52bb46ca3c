package profile

import (
	"testing"
	"time"

	"github.com/spmd-go/spmd/internal/profdata"
)

const sec = int64(time.Second)

// skewedClock is a rank clock that runs ahead of the collector's by Skew
// at time 0 and gains Drift nanoseconds per second after that.
type skewedClock struct{ Skew, DriftPerSec int64 }

func (c skewedClock) at(t int64) int64 { return t + c.Skew + c.DriftPerSec*t/sec }

// samples measures c as the collector would at collector times around at:
// n ping-pongs whose round trips are rtt plus a little, the reply landing
// off-centre by err (which the rank cannot see).
func (c skewedClock) samples(at int64, final bool, rtt int64, errs ...int64) []profdata.ClockSample {
	var out []profdata.ClockSample
	for i, e := range errs {
		coll := at + int64(i)*1000
		out = append(out, profdata.ClockSample{
			CollectorNs: coll, OffsetNs: c.at(coll) - coll + e, RTTNs: rtt + int64(i)*100, AtFinalize: final,
		})
	}
	return out
}

func TestClockMapRemovesSkewAndDrift(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clock skewedClock
	}{
		{"ahead 3s", skewedClock{Skew: 3 * sec}},
		{"behind 2s", skewedClock{Skew: -2 * sec}},
		{"ahead 3s drifting", skewedClock{Skew: 3 * sec, DriftPerSec: 50_000}},
		{"behind 2s drifting back", skewedClock{Skew: -2 * sec, DriftPerSec: -20_000}},
		{"none", skewedClock{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Start samples at 1 s, finalize samples at 101 s; the first
			// sample of each has the shortest round trip and an error of 5 µs.
			s := append(tc.clock.samples(1*sec, false, 20_000, 5_000, 40_000, -30_000),
				tc.clock.samples(101*sec, true, 20_000, -5_000, 35_000)...)
			m := NewClockMap(s)
			if !m.Measured || m.UncertaintyNs != 10_000 {
				t.Fatalf("map %+v", m)
			}
			for _, tr := range []int64{1 * sec, 30 * sec, 77 * sec, 101 * sec} {
				got := m.Map(tc.clock.at(tr))
				if d := got - tr; d > 6_000 || d < -6_000 {
					t.Errorf("true time %d mapped to %d: off by %d ns", tr, got, d)
				}
			}
		})
	}
}

func TestClockMapDegenerate(t *testing.T) {
	if m := NewClockMap(nil); m.Measured || m.Map(12345) != 12345 {
		t.Errorf("no samples: %+v", m)
	}
	c := skewedClock{Skew: 3 * sec}
	only := NewClockMap(c.samples(sec, true, 1000, 0))
	if got := only.Map(c.at(50 * sec)); got != 50*sec {
		t.Errorf("finalize samples only: %d", got)
	}
	// Samples at one instant cannot teach drift; the offset is constant.
	same := NewClockMap(append(c.samples(sec, false, 1000, 0), c.samples(sec, true, 1000, 0)...))
	if got := same.Map(c.at(9 * sec)); got != 9*sec {
		t.Errorf("samples at one instant: %d", got)
	}
	if neg := NewClockMap([]profdata.ClockSample{{RTTNs: -1, OffsetNs: 99}}); neg.Measured {
		t.Errorf("a negative round trip was used: %+v", neg)
	}
}

// pingJob is a synthetic traced job: ranks 0 → 1 → 2 → 0 pass a message
// round a ring every 10 ms for a second, each send taking 2 µs and each
// receive ending 30 µs after the send began (true times), recorded by
// clocks that disagree.
func pingJob(clocks []skewedClock, sampleErr int64) []*profdata.RankData {
	n := len(clocks)
	data := make([]*profdata.RankData, n)
	for r := range data {
		c := clocks[r]
		data[r] = &profdata.RankData{
			Rank: r, Size: n, InitNs: c.at(0), FinalizeNs: c.at(2 * sec),
			SentBytes: make([]uint64, n), SentMsgs: make([]uint64, n),
			Clock: append(c.samples(0, false, 40_000, sampleErr), c.samples(2*sec, true, 40_000, -sampleErr)...),
		}
	}
	seq := make([]uint64, n)
	for k := range 100 {
		from := k % n
		to := (from + 1) % n
		t0 := int64(k)*10_000_000 + 1_000_000
		seq[from]++
		data[from].Trace = append(data[from].Trace, profdata.Event{
			Name: "Send", StartNs: clocks[from].at(t0), EndNs: clocks[from].at(t0 + 2_000), Peer: to, SendSeq: seq[from]})
		data[to].Trace = append(data[to].Trace, profdata.Event{
			Name: "Recv", StartNs: clocks[to].at(t0 - 500_000), EndNs: clocks[to].at(t0 + 30_000), Peer: from, RecvSeq: seq[from]})
	}
	return data
}

func TestTimelineRemovesSkews(t *testing.T) {
	clocks := []skewedClock{{}, {Skew: 3 * sec, DriftPerSec: 10_000}, {Skew: -2 * sec}}
	// Before correction, the skews put receives on rank 2 seconds before
	// their sends.
	raw := pingJob(clocks, 0)
	for _, d := range raw {
		d.Clock = nil
	}
	tlRaw := NewTimeline(raw)
	m := MatchFlows(tlRaw)
	if len(m.Flows) != 100 || m.UnmatchedSends+m.UnmatchedRecvs != 0 {
		t.Fatalf("matched %d flows, %d/%d unmatched", len(m.Flows), m.UnmatchedSends, m.UnmatchedRecvs)
	}
	if len(Violations(tlRaw, m.Flows)) == 0 {
		t.Fatal("skewed clocks without correction show no violation: the test proves nothing")
	}
	tl := NewTimeline(pingJob(clocks, 0))
	m = MatchFlows(tl)
	if v := Violations(tl, m.Flows); len(v) != 0 {
		t.Fatalf("%d receives end before their sends after alignment", len(v))
	}
	for _, f := range m.Flows {
		gap := tl.Ranks[f.To][f.Recv].End - tl.Ranks[f.From][f.Send].Start
		if gap < 29_000 || gap > 31_000 {
			t.Errorf("flow %d→%d #%d: receive ends %d ns after the send starts, want 30 µs", f.From, f.To, f.Seq, gap)
		}
	}
}

func TestFixCausality(t *testing.T) {
	// Rank 1's samples claim it is further ahead than it is, so its
	// receives of rank 0's messages (30 µs after the send, true time) seem
	// to end before the sends began; the round trips (40 µs) promise the
	// offsets to ±20 µs.
	for _, tc := range []struct {
		errNs  int64
		beyond bool
	}{
		{35_000, false}, // needs a 5 µs shift: within the uncertainty
		{95_000, true},  // needs 65 µs: the clocks were worse than measured
	} {
		data := pingJob([]skewedClock{{}, {Skew: 3 * sec}, {Skew: -2 * sec}}, 0)
		for i := range data[1].Clock {
			data[1].Clock[i].OffsetNs += tc.errNs
		}
		tl := NewTimeline(data)
		m := MatchFlows(tl)
		if len(Violations(tl, m.Flows)) == 0 {
			t.Fatalf("error %d ns: no violation before the fix-up; the test proves nothing", tc.errNs)
		}
		c := FixCausality(tl, m.Flows)
		if c.Unfixable || len(c.Shifted) == 0 {
			t.Fatalf("error %d ns: fix-up %+v", tc.errNs, c)
		}
		if v := Violations(tl, m.Flows); len(v) != 0 {
			t.Fatalf("error %d ns: %d violations after the fix-up", tc.errNs, len(v))
		}
		if got := len(c.BeyondUncertainty) > 0; got != tc.beyond {
			t.Errorf("error %d ns: shifts %v, beyond uncertainty %v, want %v", tc.errNs, tl.ShiftNs, c.BeyondUncertainty, tc.beyond)
		}
	}
}

func TestFixCausalityLeavesGoodTimelines(t *testing.T) {
	tl := NewTimeline(pingJob([]skewedClock{{}, {Skew: sec}, {}}, 0))
	c := FixCausality(tl, MatchFlows(tl).Flows)
	if len(c.Shifted) != 0 || c.Unfixable {
		t.Fatalf("a consistent timeline was changed: %+v", c)
	}
}

func TestFixCausalityUnfixable(t *testing.T) {
	// Two messages that each arrive before they were sent, in both
	// directions between the same pair: no shift satisfies both.
	d := pingJob([]skewedClock{{}, {}}, 0)
	d[0].Trace = []profdata.Event{
		{Name: "Send", StartNs: 100, EndNs: 110, Peer: 1, SendSeq: 1},
		{Name: "Recv", StartNs: 10, EndNs: 20, Peer: 1, RecvSeq: 1},
	}
	d[1].Trace = []profdata.Event{
		{Name: "Recv", StartNs: 10, EndNs: 20, Peer: 0, RecvSeq: 1},
		{Name: "Send", StartNs: 100, EndNs: 110, Peer: 0, SendSeq: 1},
	}
	tl := NewTimeline(d)
	m := MatchFlows(tl)
	if len(m.Flows) != 2 {
		t.Fatalf("%d flows", len(m.Flows))
	}
	if c := FixCausality(tl, m.Flows); !c.Unfixable {
		t.Fatalf("contradictory messages fixed: %+v", c)
	}
}

func TestMatchFlowsCountsUnmatched(t *testing.T) {
	d := pingJob([]skewedClock{{}, {}, {}}, 0)
	d[2] = nil // rank 2 died: its sends and receives are gone
	m := MatchFlows(NewTimeline(d))
	// Of the 100 messages round the ring 0→1→2→0, 34 go 0→1, 33 go 1→2
	// (received by the lost rank) and 33 go 2→0 (sent by it).
	if len(m.Flows) != 34 || m.UnmatchedSends != 33 || m.UnmatchedRecvs != 33 {
		t.Fatalf("match %d flows, unmatched %d sends, %d receives", len(m.Flows), m.UnmatchedSends, m.UnmatchedRecvs)
	}
}

func profdataEvent(name string, region bool, start, end int64) profdata.Event {
	return profdata.Event{Name: name, Region: region, StartNs: start, EndNs: end, Peer: -1}
}

func profdataEventMsg(name string, start, end int64, peer int, sendSeq, recvSeq uint64) profdata.Event {
	return profdata.Event{Name: name, StartNs: start, EndNs: end, Peer: peer, SendSeq: sendSeq, RecvSeq: recvSeq}
}

// clockAt is rank r's clock reading at true time t in a pingJob made
// with the clocks recorded in its samples: the rank's InitNs is its clock
// at true time 0.
func clockAt(data []*profdata.RankData, r int, t int64) int64 { return data[r].InitNs + t }
