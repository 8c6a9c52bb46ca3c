// Command forgetbarrier is a test program: a job in which one rank forgets
// a Barrier that the others enter, for spmdrun's hang diagnosis.
//
// Usage:
//
//	spmdrun -n 6 --timeout 3s forgetbarrier
//
// Every rank prints "ready" once Init has returned. Rank 3 then sleeps in
// its own function, dawdle, instead of entering the Barrier; the others
// wait in it. The report must name Barrier with the file:line of the
// others' call (the line marked "the others' Barrier") and rank 3 as the
// odd one out, with its stack.
package main

import (
	"fmt"
	"log"
	"time"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

// forgetful is the rank that forgets the Barrier.
const forgetful = 3

func main() {
	log.SetFlags(0)
	log.SetPrefix("forgetbarrier: ")
	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	if w.Size() <= forgetful {
		log.Fatalf("need at least %d ranks, not %d", forgetful+1, w.Size())
	}
	fmt.Println("ready")
	if w.Rank() == forgetful {
		dawdle()
	}
	err = collective.Barrier(w) // the others' Barrier
	// Only the launcher ending the job can end the Barrier.
	log.Fatalf("rank %d: Barrier returned: %v", w.Rank(), err)
}

// dawdle is where the forgetful rank spends its time instead.
func dawdle() {
	for {
		time.Sleep(time.Hour)
	}
}
