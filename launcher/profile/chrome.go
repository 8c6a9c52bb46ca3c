package profile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/klauspost/compress/gzip"

	"github.com/spmd-go/spmd/internal/profdata"
)

// Thread ids within a rank's process: spmd calls on callTid+lane, user
// regions on regionTid+lane.
const (
	callTid   = 1
	regionTid = 1001
)

// TraceInfo says what WriteTrace wrote.
type TraceInfo struct {
	Ranks  int // ranks with a trace
	Slices int
	FlowMatch
	Causality
	// Dropped counts, per rank, the events its buffer had no room for.
	Dropped map[int]uint64
	Missing []int // ranks that did not report
	// Partial, when not empty, says why the ranks PartialRanks stopped
	// short of Finalize (see profdata.RankData.Partial).
	Partial      string
	PartialRanks []int
}

// WriteTrace writes the job's trace to w as gzip-compressed Chrome
// trace-event JSON ({"traceEvents": [...]}): a process per rank (pid =
// rank, named "rank N (host)"), a complete slice per spmd call with its
// peer, tag, bytes, communicator and algorithm, the user's regions on a
// track of their own, and a flow arrow (flow events "s" and "f", bound to
// the enclosing slices) from each traced send to its receive. Times are
// on the collector's clock (see Timeline), in microseconds from the
// earliest slice. A rank whose buffer overflowed gets an instant event
// saying how many events it dropped, one whose data is partial (stopped
// before Finalize) an instant event saying why; ranks that did not report
// are named in an instant event at time zero.
func WriteTrace(w io.Writer, data []*profdata.RankData) (TraceInfo, error) {
	tl := NewTimeline(data)
	info := TraceInfo{FlowMatch: MatchFlows(tl), Dropped: map[int]uint64{}}
	info.Causality = FixCausality(tl, info.Flows)
	origin, _, _ := tl.Bounds()

	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return info, err
	}
	tw := &traceWriter{w: bufio.NewWriterSize(zw, 1<<16), origin: origin}
	tw.raw(`{"displayTimeUnit":"ns","traceEvents":[`)
	tids := make([][]int, len(data))
	for r, d := range data {
		if d == nil {
			info.Missing = append(info.Missing, r)
			continue
		}
		info.Ranks++
		info.Slices += len(tl.Ranks[r])
		tids[r] = tw.rank(d, tl.Ranks[r])
		if d.TraceDropped > 0 {
			info.Dropped[r] = d.TraceDropped
		}
		if d.Partial != "" {
			info.PartialRanks = append(info.PartialRanks, r)
			if info.Partial == "" {
				info.Partial = d.Partial
			}
		}
	}
	if len(info.Missing) > 0 {
		tw.event(fmt.Sprintf(`{"name":%s,"ph":"i","s":"g","ts":0,"pid":0,"tid":0}`,
			jsonString("no data from ranks "+RankList(info.Missing))))
	}
	for k, f := range info.Flows {
		tw.flow(k+1, f, tl, tids)
	}
	tw.raw("]}\n")
	if tw.err == nil {
		tw.err = tw.w.Flush()
	}
	if err := zw.Close(); tw.err == nil {
		tw.err = err
	}
	return info, tw.err
}

// traceWriter writes trace events, keeping the first error.
type traceWriter struct {
	w      *bufio.Writer
	origin int64
	n      int // events written
	err    error
}

func (t *traceWriter) raw(s string) {
	if t.err == nil {
		_, t.err = t.w.WriteString(s)
	}
}

func (t *traceWriter) event(s string) {
	if t.n > 0 {
		t.raw(",\n")
	}
	t.n++
	t.raw(s)
}

// ts formats a collector time as microseconds from the origin, to the
// nanosecond.
func (t *traceWriter) ts(ns int64) string { return micros(ns - t.origin) }

func micros(ns int64) string {
	sign := ""
	if ns < 0 {
		sign, ns = "-", -ns
	}
	return fmt.Sprintf("%s%d.%03d", sign, ns/1000, ns%1000)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// rank writes one rank's process: its names, its slices, and a note of
// dropped events. It returns each slice's thread id.
func (t *traceWriter) rank(d *profdata.RankData, s []Slice) []int {
	r := d.Rank
	t.event(fmt.Sprintf(`{"name":"process_name","ph":"M","pid":%d,"tid":0,"args":{"name":%s}}`,
		r, jsonString(fmt.Sprintf("rank %d (%s)", r, d.Host))))
	t.event(fmt.Sprintf(`{"name":"process_sort_index","ph":"M","pid":%d,"tid":0,"args":{"sort_index":%d}}`, r, r))
	var calls, regions []int // indices into s
	for i := range s {
		if s[i].Region {
			regions = append(regions, i)
		} else {
			calls = append(calls, i)
		}
	}
	tids := make([]int, len(s))
	for _, group := range []struct {
		idx  []int
		base int
		name string
	}{{calls, callTid, "spmd"}, {regions, regionTid, "regions"}} {
		sub := make([]Slice, len(group.idx))
		for k, i := range group.idx {
			sub[k] = s[i]
		}
		lane, lanes := AssignLanes(sub)
		for l := range lanes {
			name := group.name
			if l > 0 {
				name += " " + strconv.Itoa(l+1)
			}
			t.event(fmt.Sprintf(`{"name":"thread_name","ph":"M","pid":%d,"tid":%d,"args":{"name":%s}}`,
				r, group.base+l, jsonString(name)))
			t.event(fmt.Sprintf(`{"name":"thread_sort_index","ph":"M","pid":%d,"tid":%d,"args":{"sort_index":%d}}`,
				r, group.base+l, group.base+l))
		}
		for k, i := range group.idx {
			tids[i] = group.base + lane[k]
		}
	}
	var last int64
	for i, sl := range s {
		t.slice(r, tids[i], sl)
		last = max(last, sl.End)
	}
	if d.TraceDropped > 0 {
		t.event(fmt.Sprintf(`{"name":%s,"ph":"i","s":"p","ts":%s,"pid":%d,"tid":%d,"args":{"dropped_events":%d,"trace_limit":%d}}`,
			jsonString(fmt.Sprintf("trace buffer full: %d later events dropped", d.TraceDropped)),
			t.ts(max(last, t.origin)), r, callTid, d.TraceDropped, d.TraceLimit))
	}
	if d.Partial != "" {
		t.event(fmt.Sprintf(`{"name":%s,"ph":"i","s":"p","ts":%s,"pid":%d,"tid":%d}`,
			jsonString(d.Partial+": calls under way then are not in the trace"), t.ts(max(last, t.origin)), r, callTid))
	}
	return tids
}

func (t *traceWriter) slice(pid, tid int, s Slice) {
	cat := "spmd"
	args := fmt.Sprintf(`"bytes":%d,"comm":%d`, s.Bytes, s.Comm)
	if s.Region {
		cat, args = "region", ""
	} else {
		if s.Peer >= 0 {
			args = fmt.Sprintf(`"peer":%d,"tag":%d,`, s.Peer, s.Tag) + args
		}
		if s.Alg != "" {
			args += `,"alg":` + jsonString(s.Alg)
		}
	}
	t.event(fmt.Sprintf(`{"name":%s,"cat":"%s","ph":"X","ts":%s,"dur":%s,"pid":%d,"tid":%d,"args":{%s}}`,
		jsonString(s.Name), cat, t.ts(s.Start), micros(s.End-s.Start), pid, tid, args))
}

// flow writes message k's arrow: a flow start inside the send's slice and
// a flow end inside the receive's slice, bound to the enclosing slices.
// Both lie strictly inside their slices where the slices allow, and the
// start before the end whenever the receive ends after the send starts.
func (t *traceWriter) flow(k int, f Flow, tl *Timeline, tids [][]int) {
	send, recv := tl.Ranks[f.From][f.Send], tl.Ranks[f.To][f.Recv]
	gap := max(recv.End-send.Start, 0)
	start := send.Start + min((send.End-send.Start)/2, gap/3)
	end := recv.End - min((recv.End-recv.Start)/2, gap/3)
	t.event(fmt.Sprintf(`{"name":"message","cat":"p2p","ph":"s","id":%d,"ts":%s,"pid":%d,"tid":%d}`,
		k, t.ts(start), f.From, tids[f.From][f.Send]))
	t.event(fmt.Sprintf(`{"name":"message","cat":"p2p","ph":"f","bp":"e","id":%d,"ts":%s,"pid":%d,"tid":%d}`,
		k, t.ts(end), f.To, tids[f.To][f.Recv]))
}
