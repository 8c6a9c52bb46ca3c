// Command hang is a test program: a job that deadlocks, for spmdrun's hang
// diagnostics.
//
// Usage:
//
//	spmdrun -n 4 --timeout 5s hang
//
// Rank 2 receives a message from rank 1 with tag 7 (an 8-byte int64) that
// rank 1 never sends; every other rank receives from rank 2 with tag 9,
// which rank 2 never sends either. No rank ever returns, so the job runs
// until spmdrun's --timeout, whose report must show rank 2 blocked in recv
// from peer 1, tag 7, on the world communicator. Every rank prints "ready"
// once Init has returned.
package main

import (
	"fmt"
	"log"

	"github.com/spmd-go/spmd/comm"
)

// The deadlocked receives.
const (
	victim    = 2 // the rank whose receive the test looks for
	victimSrc = 1
	victimTag = 7
	otherTag  = 9
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("hang: ")
	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	if w.Size() <= victim {
		log.Fatalf("need at least %d ranks, not %d", victim+1, w.Size())
	}
	fmt.Println("ready")
	buf := []int64{0}
	if w.Rank() == victim {
		_, err = comm.Recv(w, buf, victimSrc, victimTag)
	} else {
		_, err = comm.Recv(w, buf, victim, otherTag)
	}
	// Only the launcher ending the job can end a receive.
	log.Fatalf("rank %d: receive returned: %v", w.Rank(), err)
}
