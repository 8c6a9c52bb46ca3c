// Command lostpeer is a test program: a rank dies that rank 0 never talked
// to, while rank 0 waits in an AnySource receive that nothing will match.
//
// Usage:
//
//	spmdrun -n 4 lostpeer [-code 3]
//
// Rank 0 posts a receive from any source with a tag nobody sends, then
// tells rank 1 so; rank 1 tells the victim, the last rank, which prints
// "victim exits at T" (T: Unix nanoseconds) and exits with -code without
// Finalize. Rank 0 never exchanges a message with the victim, so only the
// launcher can tell it of the loss: its receive must fail with an error
// that names the victim, and it prints "rank 0: receive failed at T: ERR"
// and exits 1. The other ranks wait for a message from rank 0 that never
// comes, until the launcher ends them. If rank 0's receive never fails,
// rank 0 is ended by the launcher too, and prints nothing.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/spmd-go/spmd/comm"
)

const (
	readyTag = 1
	neverTag = 2 // no rank ever sends with it
)

func main() {
	code := flag.Int("code", 3, "exit `status` of the victim")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("lostpeer: ")
	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	log.SetPrefix(fmt.Sprintf("lostpeer: rank %d: ", w.Rank()))
	if w.Size() < 3 {
		log.Fatalf("needs at least 3 ranks, has %d", w.Size())
	}
	victim := w.Size() - 1
	one := []int64{0}
	switch w.Rank() {
	case 0:
		req, err := comm.Irecv(w, make([]int64, 1), comm.AnySource, neverTag)
		if err != nil {
			log.Fatalf("post receive: %v", err)
		}
		if err := comm.Send(w, one, 1, readyTag); err != nil {
			log.Fatalf("send ready to rank 1: %v", err)
		}
		_, err = req.Wait()
		if err == nil {
			log.Print("receive matched a message nobody sent")
			os.Exit(4)
		}
		fmt.Printf("rank 0: receive failed at %d: %v\n", time.Now().UnixNano(), err)
		os.Exit(1)
	case 1:
		if _, err := comm.Recv(w, one, 0, readyTag); err != nil {
			log.Fatalf("receive ready from rank 0: %v", err)
		}
		if err := comm.Send(w, one, victim, readyTag); err != nil {
			log.Fatalf("send ready to rank %d: %v", victim, err)
		}
	case victim:
		if _, err := comm.Recv(w, one, 1, readyTag); err != nil {
			log.Fatalf("receive ready from rank 1: %v", err)
		}
		fmt.Printf("victim exits at %d\n", time.Now().UnixNano())
		os.Exit(*code) // no Finalize: the point is to die mid-job
	}
	// Until rank 0 is gone (then the receive fails) or the launcher ends
	// this rank.
	if _, err := comm.Recv(w, one, 0, neverTag); err != nil {
		log.Fatalf("receive from rank 0: %v", err)
	}
}
