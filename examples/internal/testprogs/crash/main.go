// Command crash is a test program: rank 1 exits with status 3 while every
// other rank is blocked receiving from it.
//
// Usage:
//
//	spmdrun -n 4 crash [-victim 1] [-code 3] [-survivors wait|exit]
//
// Every rank first prints "pid P" (before comm.Init, so that every pid is out
// before the victim can die). After Init each other rank sends the victim
// one message and then receives from it in a loop; the victim waits for all
// of those messages, so the others are certainly in their loops, and exits
// with -code. A survivor whose receive fails logs the error (which must name
// the victim) and then, with -survivors wait, blocks until the launcher ends
// it, or with -survivors exit, exits 1 as a typical program would. The
// launcher is expected to report the victim, end the job with the victim's
// code and leave no process behind.
//
// With -survivors exit the survivors' own failures race the victim's to the
// launcher, which may reap a survivor first; the survivors reported the
// lost peer before failing, so the launcher must still blame the victim.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/spmd-go/spmd/comm"
)

const (
	readyTag = 1
	dataTag  = 2
)

func main() {
	victim := flag.Int("victim", 1, "`rank` that exits")
	code := flag.Int("code", 3, "exit `status` of the victim")
	survivors := flag.String("survivors", "wait", "what the other ranks do once their receive fails: wait (until the launcher ends them) or exit (with status 1)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("crash: ")
	if *survivors != "wait" && *survivors != "exit" {
		log.Printf("-survivors must be wait or exit, not %q", *survivors)
		os.Exit(2)
	}
	fmt.Printf("pid %d\n", os.Getpid())

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	log.SetPrefix(fmt.Sprintf("crash: rank %d: ", w.Rank()))
	if *victim < 0 || *victim >= w.Size() {
		log.Fatalf("-victim %d is not a rank of a world of %d", *victim, w.Size())
	}

	one := []int64{0}
	if w.Rank() == *victim {
		for range w.Size() - 1 {
			if _, err := comm.Recv(w, one, comm.AnySource, readyTag); err != nil {
				log.Fatalf("receive ready: %v", err)
			}
		}
		os.Exit(*code) // no Finalize: the point is to die mid-job
	}

	if err := comm.Send(w, one, *victim, readyTag); err != nil {
		log.Fatalf("send ready to rank %d: %v", *victim, err)
	}
	for {
		if _, err := comm.Recv(w, one, *victim, dataTag); err != nil {
			log.Printf("receive from rank %d: %v", *victim, err)
			if *survivors == "exit" {
				os.Exit(1)
			}
			select {} // until the launcher's SIGTERM
		}
	}
}
