package comm

import (
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
)

// Hang diagnostics. A goroutine that waits longer than its polling budget
// registers what it waits for, with its callers; on SIGUSR1 a rank
// launched through PMI publishes that list, the user-level calls and call
// sites, its matching queues and the stacks of its goroutines outside spmd
// under the keys "spmd-blocked-<rank>-<seq>", which spmdrun collects into
// a table and a diagnosis when --timeout fires or when it is asked for the
// job's status. Only waits that went to sleep are registered, so the fast
// path pays nothing. (The first format, which spmdrun still reads, had
// only "op,peer,tag,ctx,bytes,ms" entries, or "none".)

// diagMinAge is how long an operation must have been blocked to be reported.
const diagMinAge = 100 * time.Millisecond

// Bounds of a report in the second format (see reportV2). PMI values hold
// at most 1024 bytes on a line of at most 1024, so a report is cut into
// fragments of fragmentPayload bytes, each put under a key of its own; the
// launcher accepts at most maxFragments of them per report. The stacks of
// the goroutines outside spmd are cut to stackBudget bytes before they are
// escaped (which at most triples them), the blocked operations to
// opsBudget bytes, so that a report always fits.
const (
	fragmentPayload = 800
	maxFragments    = 16
	opsBudget       = 3000
	stackBudget     = 2500
	maxIdle         = 8 // goroutines outside spmd named in a report
)

// blockedOp describes one operation a goroutine is blocked in.
type blockedOp struct {
	op    string // recv, send, ssend, probe, wait
	peer  int    // world rank, or -1 for any
	tag   int    // or AnyTag
	ctx   uint32
	bytes int
	since time.Time
	pcs   [32]uintptr // the goroutine's callers when it went to sleep
	npcs  int
}

// diagnostics is the registry of blocked operations.
type diagnostics struct {
	mu      sync.Mutex
	blocked map[*blockedOp]struct{}
	seq     int
	stop    chan struct{}
}

// enter registers op. It records the caller's program counters: enter is
// called only by goroutines about to sleep, never on the fast path.
func (d *diagnostics) enter(op *blockedOp) {
	op.npcs = runtime.Callers(2, op.pcs[:])
	d.mu.Lock()
	if d.blocked == nil {
		d.blocked = make(map[*blockedOp]struct{})
	}
	d.blocked[op] = struct{}{}
	d.mu.Unlock()
}

func (d *diagnostics) leave(op *blockedOp) {
	d.mu.Lock()
	delete(d.blocked, op)
	d.mu.Unlock()
}

// blockedSince returns the operations blocked longer than diagMinAge at
// now, longest first.
func (d *diagnostics) blockedSince(now time.Time) []*blockedOp {
	d.mu.Lock()
	ops := make([]*blockedOp, 0, len(d.blocked))
	for op := range d.blocked {
		if now.Sub(op.since) >= diagMinAge {
			ops = append(ops, op)
		}
	}
	d.mu.Unlock()
	slices.SortFunc(ops, func(a, b *blockedOp) int { return a.since.Compare(b.since) })
	return ops
}

// queues is what the matching engine holds when a report is made.
type queues struct{ posted, unexpected, unexpectedBytes int }

// reportV2 formats a report in the second format: entries joined by ";",
//
//	op,peer,tag,ctx,bytes,ms,call,alg,fn,site  a blocked operation (longest first)
//	+N                                         N more operations not listed
//	q,posted,unexpected,unexpectedBytes        the matching engine's queues
//	u,fn,site                                  a user goroutine outside spmd
//	s,stacks                                   those goroutines' stacks
//
// where call is the user-level spmd function ("Barrier"), alg a
// collective's algorithm ("ring") when its functions tell it, fn
// and site the user's function and file:line; text fields are
// query-escaped, "-" when unknown. The stacks are cut to stackBudget
// bytes, and then end in a line saying so. dump is runtime.Stack's text
// of all goroutines.
func reportV2(ops []*blockedOp, now time.Time, q queues, dump []byte) string {
	var b strings.Builder
	field := func(s string) string {
		if s == "" {
			return "-"
		}
		return url.QueryEscape(s)
	}
	entry := func(e string) {
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(e)
	}
	for i, op := range ops {
		cs := siteOf(op.pcs[:op.npcs])
		e := op.entry(now) + "," + field(cs.call) + "," + field(cs.alg) + "," + field(cs.fn) + "," + field(cs.site)
		if b.Len()+len(e)+1 > opsBudget {
			entry("+" + strconv.Itoa(len(ops)-i))
			break
		}
		entry(e)
	}
	entry(fmt.Sprintf("q,%d,%d,%d", q.posted, q.unexpected, q.unexpectedBytes))
	idle := idleUserGoroutines(dump)
	var stacks strings.Builder
	for i, g := range idle {
		if i < maxIdle {
			entry("u," + field(g.where.fn) + "," + field(g.where.site))
		}
		if stacks.Len() > 0 {
			stacks.WriteString("\n\n")
		}
		stacks.WriteString(g.stack)
	}
	if stacks.Len() > 0 {
		st := stacks.String()
		if len(st) > stackBudget {
			st = st[:stackBudget] + "\n... (stacks cut at " + strconv.Itoa(stackBudget) + " of " + strconv.Itoa(len(st)) + " bytes)"
		}
		entry("s," + field(st))
	}
	return b.String()
}

// fragments cuts a report into the values put for it: "v2:i:n:" and the
// i-th piece of n, i from 1.
func fragments(report string) []string {
	n := max(1, (len(report)+fragmentPayload-1)/fragmentPayload)
	out := make([]string, 0, n)
	for i := range n {
		piece := report[i*fragmentPayload : min(len(report), (i+1)*fragmentPayload)]
		out = append(out, fmt.Sprintf("v2:%d:%d:%s", i+1, n, piece))
	}
	return out
}

func (op *blockedOp) entry(now time.Time) string {
	wild := func(v, w int) string {
		if v == w {
			return "any"
		}
		return strconv.Itoa(v)
	}
	return fmt.Sprintf("%s,%s,%s,%d,%d,%d", op.op, wild(op.peer, -1), wild(op.tag, AnyTag), op.ctx, op.bytes,
		now.Sub(op.since).Milliseconds())
}

// describe says what r waits for.
func (r *Request) describe() *blockedOp {
	op := &blockedOp{op: "wait", peer: -1, tag: AnyTag, since: time.Now(), bytes: r.nbytes}
	switch {
	case r.isRecv:
		op.op, op.peer, op.tag, op.ctx = "recv", r.pollPeer, r.recv.Tag, r.recv.Context
	case r.w != nil:
		op.op, op.peer, op.tag, op.ctx = "send", r.peer, r.tag, r.ctx
		if r.sync {
			op.op = "ssend"
		}
	}
	return op
}

// putter is a bootstrap that can publish diagnostics (PMI).
type putter interface {
	Put(key, value string) error
}

// serveDiagnostics answers SIGUSR1 with a report, until Finalize. Only for
// ranks launched through PMI: the launcher reads the reports, and knows
// such ranks by their business cards (other programs die of SIGUSR1), so
// it runs before the card is published: a rank with a card must never die
// of SIGUSR1. With SPMD_DIAG=off the signal is ignored instead.
func (w *world) serveDiagnostics() {
	p, ok := w.boot.(pmiBootstrap)
	if !ok {
		return
	}
	if os.Getenv("SPMD_DIAG") == "off" {
		signal.Ignore(syscall.SIGUSR1)
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	stop := make(chan struct{})
	w.diag.stop = stop
	go func() {
		defer func() {
			// Ignore rather than restore the default action, which would
			// kill a rank the launcher may still ask for a report.
			signal.Ignore(syscall.SIGUSR1)
			signal.Stop(ch)
		}()
		for {
			select {
			case <-ch:
				w.publishDiagnostics(p)
			case <-stop:
				return
			}
		}
	}()
}

// publishDiagnostics puts a report in the second format, fragment by
// fragment, each under the next of the rank's report keys.
func (w *world) publishDiagnostics(p putter) {
	now := time.Now()
	ops := w.diag.blockedSince(now)
	st := w.eng.Stats()
	dump := allStacks()
	values := fragments(reportV2(ops, now, queues{st.Posted, st.Unexpected, st.UnexpectedBytes}, dump))
	for _, v := range values {
		w.diag.mu.Lock()
		seq := w.diag.seq
		w.diag.seq++
		w.diag.mu.Unlock()
		if err := p.Put(jobnames.BlockedKey(w.rank, seq), v); err != nil {
			w.logf("comm: rank %d: publish diagnostics: %v", w.rank, err)
			return
		}
	}
}

// allStacks returns runtime.Stack's text for all goroutines, up to 1 MiB.
func allStacks() []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 1<<20 {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// stopDiagnostics ends serveDiagnostics. Finalize calls it once.
func (w *world) stopDiagnostics() {
	if w.diag.stop != nil {
		close(w.diag.stop)
	}
}
