package osu

import "github.com/spmd-go/spmd/comm"

// pingPong is one round trip: rank 0 sends then receives, rank 1 receives
// then sends.
func (p *pair) pingPong(send, recv []byte) error {
	if p.leader() {
		if err := comm.Send(p.c, send, p.peer, tagData); err != nil {
			return err
		}
		_, err := comm.Recv(p.c, recv, p.peer, tagData)
		return err
	}
	if _, err := comm.Recv(p.c, recv, p.peer, tagData); err != nil {
		return err
	}
	return comm.Send(p.c, send, p.peer, tagData)
}

// objPingPong is one round trip of objects: send goes out by SendObj, and
// the reply comes back by RecvObj into one []byte kept for the whole run,
// as a program receiving in a loop would.
func (p *pair) objPingPong(send, _ []byte) error {
	if p.leader() {
		if err := comm.SendObj(p.c, send, p.peer, tagData); err != nil {
			return err
		}
		_, err := comm.RecvObj(p.c, &p.obj, p.peer, tagData)
		return err
	}
	if _, err := comm.RecvObj(p.c, &p.obj, p.peer, tagData); err != nil {
		return err
	}
	return comm.SendObj(p.c, send, p.peer, tagData)
}
