package match

import (
	"fmt"
	"sync"
)

// Wildcards for Recv.Src and Recv.Tag.
const (
	AnySource = -1
	AnyTag    = -1
)

// Envelope is what a message is matched on, plus its length.
type Envelope struct {
	Context uint32
	Src     int // sender's rank in the communicator
	Tag     int
	Len     int // message bytes
	// Seq is the caller's number for the message, carried to the receive
	// that takes it (comm numbers messages for its trace); 0 if none.
	Seq uint64
}

// Recv is a posted receive. The caller sets Context, Src, Tag and Owner; the
// rest belongs to the engine.
type Recv struct {
	Context  uint32
	Src, Tag int
	// Owner lets the caller find its own request from a *Recv the engine returns.
	Owner any

	link  node[Recv]
	state recvState
}

type recvState uint8

const (
	recvIdle recvState = iota
	recvPosted
	recvMatched
	recvCanceled
)

// Message is an arrived message that no receive had taken on arrival.
type Message struct {
	Env  Envelope
	Peer int // world rank of the sender
	// Rendezvous messages wait in the sender; SendID names them in the CTS.
	Rendezvous bool
	SendID     uint64
	// Addr is where the sender's buffer lies in its address space, when it
	// offers a same-host receiver to copy it directly (0 otherwise).
	Addr uint64
	// Payload holds an eager message's bytes once Ready has been called.
	Payload []byte

	ready bool
	bound *Recv
	link  node[Message]
}

// Outcome says what Post found.
type Outcome uint8

// Outcomes of Post.
const (
	// Queued: nothing matched; the receive waits in the posted queue.
	Queued Outcome = iota
	// MatchedEager: a buffered eager message matched; copy its Payload, then Release it.
	MatchedEager
	// MatchedRendezvous: an announced message matched; grant it with a CTS, then Release it.
	MatchedRendezvous
	// Bound: an eager message matched whose payload is still arriving; the
	// arrival path gets the receive back from Ready.
	Bound
)

type contextState struct {
	posted     list[Recv]
	unexpected list[Message]
	group      []int // communicator rank → world rank; nil until registered
}

// Engine matches messages to receives for one process. The zero value is not
// usable; call New.
type Engine struct {
	mu   sync.Mutex
	ctxs map[uint32]*contextState
	// last is the context looked up last, and lastID its id: a program
	// exchanges on one communicator at a time, and the map lookup stood
	// out in profiles of a Sendrecv to self
	// (bench/results/2026-11-21-coll-shm-seal).
	last   *contextState
	lastID uint32
	lost   map[int]error // world rank → why it is gone
	free   *Message      // released messages, linked through link.next
	bytes  int           // eager payload bytes held unexpected
}

// New returns an empty engine.
func New() *Engine {
	return &Engine{ctxs: make(map[uint32]*contextState), lost: make(map[int]error)}
}

func recvLink(r *Recv) *node[Recv]      { return &r.link }
func msgLink(m *Message) *node[Message] { return &m.link }

func (e *Engine) context(id uint32) *contextState {
	if e.last != nil && e.lastID == id {
		return e.last
	}
	cs := e.ctxs[id]
	if cs == nil {
		cs = &contextState{}
		e.ctxs[id] = cs
	}
	e.last, e.lastID = cs, id
	return cs
}

// RegisterContext tells the engine which world ranks make up a context's
// group, so that a lost peer fails the receives that depend on it. Messages
// may arrive on a context before it is registered.
func (e *Engine) RegisterContext(id uint32, group []int) {
	e.mu.Lock()
	e.context(id).group = group
	e.mu.Unlock()
}

// Unregister forgets a context: its group and queues go, so that a process
// that makes and frees communicators in a loop keeps no state for the freed
// ones. It returns the messages that arrived on the context and were never
// received, for the caller to account for and Release, and the receives
// still posted there, dequeued, for the caller to fail.
// The caller must know that no more messages will arrive on id until it is
// reused: a message arriving later would be matched by the context's next
// owner.
func (e *Engine) Unregister(id uint32) (unreceived []*Message, posted []*Recv) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.ctxs[id]
	if cs == nil {
		return nil, nil
	}
	for m := cs.unexpected.head; m != nil; {
		next := m.link.next
		cs.unexpected.remove(m, msgLink)
		if m.ready && !m.Rendezvous {
			e.bytes -= len(m.Payload)
		}
		unreceived = append(unreceived, m)
		m = next
	}
	for r := cs.posted.head; r != nil; {
		next := r.link.next
		cs.posted.remove(r, recvLink)
		r.state = recvCanceled
		posted = append(posted, r)
		r = next
	}
	delete(e.ctxs, id)
	if e.lastID == id {
		e.last = nil
	}
	return unreceived, posted
}

// Posted returns the number of receives waiting in context id's posted
// queue.
func (e *Engine) Posted(id uint32) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cs := e.ctxs[id]; cs != nil {
		return cs.posted.n
	}
	return 0
}

// Contexts returns the number of contexts the engine holds state for.
func (e *Engine) Contexts() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.ctxs)
}

// Matches reports whether a receive for (src, tag) takes a message with env.
func Matches(src, tag int, env *Envelope) bool {
	return (src == AnySource || src == env.Src) && (tag == env.Tag || tag == AnyTag && env.Tag >= 0)
}

// Post matches r against the unexpected messages of its context, earliest
// first, or queues it. With Outcome MatchedEager or MatchedRendezvous the
// message is returned and no longer held by the engine. Post fails if r can
// only be satisfied by a peer that is lost.
func (e *Engine) Post(r *Recv) (Outcome, *Message, error) {
	// Unlocked by hand rather than deferred: this and Arrive run for
	// every message, and the deferred unlocks showed in profiles of an
	// 8-byte Allreduce (commit fc43112; its tables are in
	// bench/results/2026-11-21-coll-shm-bound).
	e.mu.Lock()
	cs := e.context(r.Context)
	for m := cs.unexpected.head; m != nil; m = m.link.next {
		if !Matches(r.Src, r.Tag, &m.Env) {
			continue
		}
		cs.unexpected.remove(m, msgLink)
		r.state = recvMatched
		out := Bound
		switch {
		case m.Rendezvous:
			out = MatchedRendezvous
		case m.ready:
			e.bytes -= len(m.Payload)
			out = MatchedEager
		default:
			m.bound = r
		}
		e.mu.Unlock()
		return out, m, nil
	}
	if err := e.dependsOnLost(cs, r.Src); err != nil {
		e.mu.Unlock()
		return Queued, nil, err
	}
	r.state = recvPosted
	cs.posted.pushBack(r, recvLink)
	e.mu.Unlock()
	return Queued, nil, nil
}

// dependsOnLost returns the loss that makes a receive from src on cs hopeless.
func (e *Engine) dependsOnLost(cs *contextState, src int) error {
	if len(e.lost) == 0 || cs.group == nil {
		return nil
	}
	if src != AnySource {
		if src >= 0 && src < len(cs.group) {
			return e.lost[cs.group[src]]
		}
		return nil
	}
	for _, w := range cs.group {
		if err := e.lost[w]; err != nil {
			return err
		}
	}
	return nil
}

// Arrive reports a message from world rank peer. If a posted receive takes
// it, that receive is returned (and dequeued): the caller reads an eager
// payload into the receive's buffer, or grants a rendezvous. Otherwise the
// message is queued as unexpected and returned: for an eager message the
// caller reads the payload and then calls Ready.
func (e *Engine) Arrive(peer int, env Envelope, rendezvous bool, sendID, addr uint64) (*Recv, *Message) {
	e.mu.Lock() // unlocked by hand, as in Post
	cs := e.context(env.Context)
	for r := cs.posted.head; r != nil; r = r.link.next {
		if Matches(r.Src, r.Tag, &env) {
			cs.posted.remove(r, recvLink)
			r.state = recvMatched
			e.mu.Unlock()
			return r, nil
		}
	}
	m := e.free
	if m != nil {
		e.free = m.link.next
		m.link.next = nil
	} else {
		m = new(Message)
	}
	*m = Message{Env: env, Peer: peer, Rendezvous: rendezvous, SendID: sendID, Addr: addr, ready: rendezvous}
	cs.unexpected.pushBack(m, msgLink)
	e.mu.Unlock()
	return nil, m
}

// Ready records that an unexpected eager message's payload has been read
// into payload. If a receive was bound to it meanwhile, that receive is
// returned and the message is the caller's to copy from and Release.
func (e *Engine) Ready(m *Message, payload []byte) *Recv {
	e.mu.Lock()
	defer e.mu.Unlock()
	m.Payload, m.ready = payload, true
	if r := m.bound; r != nil {
		m.bound = nil
		return r
	}
	e.bytes += len(payload)
	return nil
}

// Abandon drops an unexpected eager message whose payload will never arrive
// (its connection broke mid-read). A receive bound to it is returned so the
// caller can fail it; the message is the caller's to Release.
func (e *Engine) Abandon(m *Message) *Recv {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := m.bound; r != nil {
		m.bound = nil
		return r
	}
	e.context(m.Env.Context).unexpected.remove(m, msgLink)
	return nil
}

// Release returns a message the engine handed over to its free list. The
// caller must have finished with its Payload.
func (e *Engine) Release(m *Message) {
	e.mu.Lock()
	*m = Message{}
	m.link.next = e.free
	e.free = m
	e.mu.Unlock()
}

// Probe returns the envelope of the earliest unexpected message that a
// receive for (src, tag) on context would take, without taking it.
func (e *Engine) Probe(context uint32, src, tag int) (Envelope, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.context(context)
	for m := cs.unexpected.head; m != nil; m = m.link.next {
		if Matches(src, tag, &m.Env) {
			return m.Env, true, nil
		}
	}
	return Envelope{}, false, e.dependsOnLost(cs, src)
}

// Cancel removes r from the posted queue if nothing has matched it yet, and
// reports whether it did.
func (e *Engine) Cancel(r *Recv) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.state != recvPosted {
		return false
	}
	e.context(r.Context).posted.remove(r, recvLink)
	r.state = recvCanceled
	return true
}

// PeerLost records that world rank peer is gone for reason err. It dequeues
// and returns the posted receives that can no longer complete (those naming
// the peer, and AnySource receives on contexts that include it), and drops
// the peer's announced rendezvous messages, whose data will never come.
// Eager messages already buffered stay deliverable.
func (e *Engine) PeerLost(peer int, err error) []*Recv {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lost[peer] == nil {
		e.lost[peer] = err
	}
	var failed []*Recv
	for _, cs := range e.ctxs {
		for m := cs.unexpected.head; m != nil; {
			next := m.link.next
			if m.Peer == peer && m.Rendezvous {
				cs.unexpected.remove(m, msgLink)
			}
			m = next
		}
		local := -1
		for i, w := range cs.group {
			if w == peer {
				local = i
			}
		}
		if local < 0 {
			continue
		}
		for r := cs.posted.head; r != nil; {
			next := r.link.next
			if r.Src == local || r.Src == AnySource {
				cs.posted.remove(r, recvLink)
				r.state = recvCanceled
				failed = append(failed, r)
			}
			r = next
		}
	}
	return failed
}

// Lost returns why world rank peer is gone, or nil.
func (e *Engine) Lost(peer int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lost[peer]
}

// Stats describes the engine's queues, for diagnostics.
type Stats struct {
	Posted, Unexpected, UnexpectedBytes int
}

// Stats returns queue lengths summed over contexts.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{UnexpectedBytes: e.bytes}
	for _, cs := range e.ctxs {
		s.Posted += cs.posted.n
		s.Unexpected += cs.unexpected.n
	}
	return s
}

// PostedRecvs calls f for each posted receive, for hang diagnostics.
func (e *Engine) PostedRecvs(f func(r *Recv)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, cs := range e.ctxs {
		for r := cs.posted.head; r != nil; r = r.link.next {
			f(r)
		}
	}
}

func (o Outcome) String() string {
	switch o {
	case Queued:
		return "queued"
	case MatchedEager:
		return "matched-eager"
	case MatchedRendezvous:
		return "matched-rendezvous"
	case Bound:
		return "bound"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// LockIfFirst locks the engine and reports true when a receive for (src,
// tag) posted now would take a message with env that has just arrived: no
// unexpected message on env's context matches the receive (it would be
// taken first), and no posted receive there matches env (it was posted
// first). The caller then hands the message to its receive itself, as if
// posted and matched, and calls Unlock. Otherwise LockIfFirst leaves the
// engine unlocked and reports false, and the message goes through Arrive.
func (e *Engine) LockIfFirst(env *Envelope, src, tag int) bool {
	e.mu.Lock()
	cs := e.context(env.Context)
	for m := cs.unexpected.head; m != nil; m = m.link.next {
		if Matches(src, tag, &m.Env) {
			e.mu.Unlock()
			return false
		}
	}
	for r := cs.posted.head; r != nil; r = r.link.next {
		if Matches(r.Src, r.Tag, env) {
			e.mu.Unlock()
			return false
		}
	}
	return true
}

// Unlock unlocks the engine that LockIfFirst locked.
func (e *Engine) Unlock() { e.mu.Unlock() }
