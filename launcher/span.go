package launcher

import (
	"bytes"
	"net"
	"sync"
	"time"
)

// Span times a job's application span with the launcher's clock, from the
// PMI traffic of the ranks it serves itself: the span starts when the last
// of those ranks has been answered its last barrier before finalize (an spmd
// rank's comm.Init ends with that barrier, its wire-up fence) and ends when
// the last of them sends finalize (comm's Finalize sends it after a barrier
// over the whole world). Launch cost (exec, runtime start-up, wire-up) and
// teardown are therefore not counted. A rank that sends finalize without
// any barrier before it (comm.Init of a one-rank job has nobody to wire up
// with) starts its span when its first PMI request is read, which for such
// a rank is comm.Init itself.
//
// Because both ends are collective, ranks served through a proxy on another
// host finish their fence and enter finalize within a barrier's latency of
// the ranks served here, so the ranks on the launcher's own host stand for
// the job; when none run there, the span is unknown (SpanReport.AppS nil).
// A program that does not speak PMI, or dies before finalize, has no span.
//
// Set Job.Span to a new Span before Run; read Report after Run returns. A
// Span serves one run.
type Span struct {
	mu       sync.Mutex
	fenceOut []time.Time // fenceOut[r]: last barrier reply to rank r before its finalize
	first    []time.Time // first[r]: when rank r's first request was read
	finalize []time.Time // finalize[r]: when rank r's finalize was read
}

// NewSpan returns a Span for a job of n ranks.
func NewSpan(n int) *Span {
	return &Span{fenceOut: make([]time.Time, n), first: make([]time.Time, n), finalize: make([]time.Time, n)}
}

// SpanReport is what a Span measured.
type SpanReport struct {
	// AppS is the application span in seconds, or nil when it could not
	// be measured (see Span).
	AppS *float64 `json:"app_s"`
	// Timed is the number of ranks whose fence and finalize were seen.
	Timed int `json:"ranks_timed"`
	// FinalizeOffsetsS[r] is when rank r sent finalize, in seconds after
	// the span's start; nil for a rank not timed.
	FinalizeOffsetsS []*float64 `json:"finalize_offsets_s"`
}

// Report returns the span measured so far.
func (sp *Span) Report() SpanReport {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var start, end time.Time
	r := SpanReport{FinalizeOffsetsS: make([]*float64, len(sp.finalize))}
	for i := range sp.finalize {
		from := sp.startOf(i)
		if from.IsZero() || sp.finalize[i].IsZero() {
			continue
		}
		r.Timed++
		if from.After(start) {
			start = from
		}
		if sp.finalize[i].After(end) {
			end = sp.finalize[i]
		}
	}
	if r.Timed == 0 {
		return r
	}
	for i, t := range sp.finalize {
		if !t.IsZero() && !sp.startOf(i).IsZero() {
			off := t.Sub(start).Seconds()
			r.FinalizeOffsetsS[i] = &off
		}
	}
	app := end.Sub(start).Seconds()
	r.AppS = &app
	return r
}

// startOf returns when rank i's span starts: its last fence, else its
// first request. The caller holds mu.
func (sp *Span) startOf(i int) time.Time {
	if !sp.fenceOut[i].IsZero() {
		return sp.fenceOut[i]
	}
	return sp.first[i]
}

// watch returns conn, the launcher's end of rank's PMI connection, with its
// traffic observed.
func (sp *Span) watch(rank int, conn net.Conn) net.Conn {
	if sp == nil || rank < 0 || rank >= len(sp.finalize) {
		return conn
	}
	return &spanConn{Conn: conn, sp: sp, rank: rank}
}

// spanConn notes the PMI-1 commands that bound a rank's span. Requests are
// read as lines (a line may arrive in pieces); replies are written whole.
type spanConn struct {
	net.Conn
	sp   *Span
	rank int
	line []byte // an incomplete request line carried between reads
}

var (
	cmdFinalize   = []byte("cmd=finalize")
	cmdBarrierOut = []byte("cmd=barrier_out rc=0") // a barrier that succeeded
)

func (c *spanConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.sp.mark(c.sp.first, c.rank, false)
	}
	buf := p[:n]
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			if len(c.line) < 256 { // longer lines are puts, never finalize
				c.line = append(c.line, buf...)
			}
			break
		}
		line := buf[:i]
		if len(c.line) > 0 {
			line = append(c.line, line...)
			c.line = c.line[:0]
		}
		if bytes.Equal(bytes.TrimSpace(line), cmdFinalize) {
			c.sp.mark(c.sp.finalize, c.rank, false)
		}
		buf = buf[i+1:]
	}
	return n, err
}

func (c *spanConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err == nil && bytes.HasPrefix(p, cmdBarrierOut) {
		c.sp.mark(c.sp.fenceOut, c.rank, true)
	}
	return n, err
}

// mark sets ts[rank] to now: always when again is true, else once. Fence
// replies after the rank's finalize (none in PMI-1) are ignored.
func (sp *Span) mark(ts []time.Time, rank int, again bool) {
	now := time.Now()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !sp.finalize[rank].IsZero() {
		return
	}
	if again || ts[rank].IsZero() {
		ts[rank] = now
	}
}
