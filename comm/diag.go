package comm

import (
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
)

// Hang diagnostics. A goroutine that waits longer than its polling budget
// registers what it waits for; on SIGUSR1 a rank launched through PMI
// publishes that list under the key "spmd-blocked-<rank>-<seq>", which
// spmdrun collects into a table when --timeout fires or when it is asked
// for the job's status. Only waits that went to sleep are registered, so
// the fast path pays nothing.

// diagMinAge is how long an operation must have been blocked to be reported.
const diagMinAge = 100 * time.Millisecond

// diagMaxValue bounds a report to what a PMI value may hold.
const diagMaxValue = 1000

// blockedOp describes one operation a goroutine is blocked in.
type blockedOp struct {
	op    string // recv, send, ssend, probe, wait
	peer  int    // world rank, or -1 for any
	tag   int    // or AnyTag
	ctx   uint32
	bytes int
	since time.Time
}

// diagnostics is the registry of blocked operations.
type diagnostics struct {
	mu      sync.Mutex
	blocked map[*blockedOp]struct{}
	seq     int
	stop    chan struct{}
}

func (d *diagnostics) enter(op *blockedOp) {
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

// report formats the operations blocked longer than diagMinAge at now,
// longest first: "none", or entries "op,peer,tag,ctx,bytes,ms" joined by
// ";", the last one "+N" if N more did not fit.
func (d *diagnostics) report(now time.Time) string {
	d.mu.Lock()
	ops := make([]*blockedOp, 0, len(d.blocked))
	for op := range d.blocked {
		if now.Sub(op.since) >= diagMinAge {
			ops = append(ops, op)
		}
	}
	d.mu.Unlock()
	if len(ops) == 0 {
		return "none"
	}
	slices.SortFunc(ops, func(a, b *blockedOp) int { return a.since.Compare(b.since) })
	var b strings.Builder
	for i, op := range ops {
		e := op.entry(now)
		if b.Len()+len(e)+1 > diagMaxValue-8 {
			fmt.Fprintf(&b, ";+%d", len(ops)-i)
			break
		}
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(e)
	}
	return b.String()
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

func (w *world) publishDiagnostics(p putter) {
	w.diag.mu.Lock()
	seq := w.diag.seq
	w.diag.seq++
	w.diag.mu.Unlock()
	key := jobnames.BlockedKey(w.rank, seq)
	if err := p.Put(key, w.diag.report(time.Now())); err != nil {
		w.logf("comm: rank %d: publish diagnostics: %v", w.rank, err)
	}
}

// stopDiagnostics ends serveDiagnostics. Finalize calls it once.
func (w *world) stopDiagnostics() {
	if w.diag.stop != nil {
		close(w.diag.stop)
	}
}
