package profile

// Flow is one point-to-point message whose send and receive were both
// traced: Ranks[From][Send] sent it, Ranks[To][Recv] received it.
type Flow struct {
	From, To   int
	Seq        uint64
	Send, Recv int // indices into Timeline.Ranks[From] and [To]
}

// msgKey names a message: its link and the sender's sequence number on it.
type msgKey struct {
	from, to int
	seq      uint64
}

// FlowMatch is the outcome of matching sends with receives.
type FlowMatch struct {
	Flows []Flow
	// UnmatchedSends counts traced sends whose receive is not in the trace
	// (the receiver's buffer was full, or it did not report), and
	// UnmatchedRecvs the other way round.
	UnmatchedSends, UnmatchedRecvs int
}

// MatchFlows pairs every traced send (an event with SendSeq k to Peer d)
// with the receive of rank d that names the sender as Peer and RecvSeq k.
// Flows come in the order of the senders' ranks and events.
func MatchFlows(tl *Timeline) FlowMatch {
	recvs := map[msgKey]int{}
	for to, rs := range tl.Ranks {
		for i, s := range rs {
			if s.RecvSeq != 0 && s.Peer >= 0 {
				recvs[msgKey{s.Peer, to, s.RecvSeq}] = i
			}
		}
	}
	var m FlowMatch
	for from, rs := range tl.Ranks {
		for i, s := range rs {
			if s.SendSeq == 0 || s.Peer < 0 {
				continue
			}
			k := msgKey{from, s.Peer, s.SendSeq}
			j, ok := recvs[k]
			if !ok {
				m.UnmatchedSends++
				continue
			}
			delete(recvs, k)
			m.Flows = append(m.Flows, Flow{From: from, To: s.Peer, Seq: s.SendSeq, Send: i, Recv: j})
		}
	}
	m.UnmatchedRecvs = len(recvs)
	return m
}

// Violations returns the flows whose receive ends no later than their send
// starts: effects before causes, which a correct clock alignment leaves
// none of.
func Violations(tl *Timeline, flows []Flow) []Flow {
	var out []Flow
	for _, f := range flows {
		if tl.Ranks[f.To][f.Recv].End <= tl.Ranks[f.From][f.Send].Start {
			out = append(out, f)
		}
	}
	return out
}
