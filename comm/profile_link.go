package comm

import "github.com/spmd-go/spmd/comm/internal/wire"

// Message counts per link, for the communication row and the trace's flow
// arrows. Frames on one link arrive in the order they were written, so a
// sender that numbers its messages to a peer (1, 2, …) as it writes them,
// and a receiver that numbers the messages from that peer as it reads
// them, give every message the same number at both ends without a byte
// more on the wire. Every message counts once, eager or announced (RTS),
// a collective's internal ones included; control frames (CTS, data,
// credit) do not.

// linkCounts is a link's message counts; on is set at Init, when the
// world is profiled, and is all an unprofiled link pays.
type linkCounts struct {
	on        bool
	sentMsgs  uint64 // under the link's write lock: also the last send's number
	sentBytes uint64
	recvMsgs  uint64 // under the link's read lock: the last arrival's number
}

// countSent numbers a message frame h as it is written, in h.Seq; the
// caller holds the write lock.
func (l *link) countSent(h *wire.Header) {
	if h.Kind == wire.Eager || h.Kind == wire.RTS {
		l.counts.sentMsgs++
		l.counts.sentBytes += h.Len
		h.Seq = l.counts.sentMsgs
	}
}

// countArrival returns the number of the message that just arrived; the
// caller holds the read lock.
func (l *link) countArrival() uint64 {
	l.counts.recvMsgs++
	return l.counts.recvMsgs
}

// sentRow returns the messages and bytes this rank has sent to each world
// rank (the communication matrix's row), from the links made so far.
func (w *world) sentRow() (msgs, bytes []uint64) {
	msgs, bytes = make([]uint64, w.size), make([]uint64, w.size)
	for _, l := range w.links() {
		if l != nil {
			msgs[l.peer], bytes[l.peer] = l.sentCounts()
		}
	}
	return msgs, bytes
}

// sentCounts returns the messages and bytes written so far.
func (l *link) sentCounts() (msgs, bytes uint64) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.counts.sentMsgs, l.counts.sentBytes
}
