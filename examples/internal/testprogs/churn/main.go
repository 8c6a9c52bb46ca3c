// Command churn is a test program: ranks exchange with their ring
// neighbours and reduce over the world, again and again, for a while, so
// that a test can kill a rank or a proxy at any moment of a job that talks.
//
// Usage:
//
//	spmdrun -n 4 churn [-seconds 3]
//
// Each round every rank sends a block to its right neighbour and receives
// one from its left, checks it, and joins an Allreduce of the ranks' ids
// and of rank 0's "stop" flag, which rank 0 raises once -seconds have
// passed. A wrong value exits 1; so does any failed operation, after
// printing it. Rank 0 prints "churn: R rounds" at the end.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

const ringTag = 1

func main() {
	seconds := flag.Float64("seconds", 3, "how long to run, in `seconds`")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("churn: ")
	start := time.Now()
	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	rank, size := w.Rank(), w.Size()
	log.SetPrefix(fmt.Sprintf("churn: rank %d: ", rank))
	right, left := (rank+1)%size, (rank+size-1)%size
	send := make([]int64, 512)
	recv := make([]int64, 512)
	wantIDs := int64(size * (size - 1) / 2)
	rounds := 0
	for ; ; rounds++ {
		for i := range send {
			send[i] = int64(rounds*size + rank + i)
		}
		if _, err := comm.Sendrecv(w, send, right, ringTag, recv, left, ringTag); err != nil {
			log.Fatalf("round %d: ring exchange: %v", rounds, err)
		}
		for i, v := range recv {
			if want := int64(rounds*size + left + i); v != want {
				log.Fatalf("round %d: element %d from rank %d is %d, want %d", rounds, i, left, v, want)
			}
		}
		stop := int64(0)
		if rank == 0 && time.Since(start).Seconds() >= *seconds {
			stop = 1
		}
		sums := []int64{0, 0}
		if err := collective.Allreduce(w, []int64{int64(rank), stop}, sums, collective.Sum); err != nil {
			log.Fatalf("round %d: allreduce: %v", rounds, err)
		}
		if sums[0] != wantIDs {
			log.Fatalf("round %d: sum of ranks %d, want %d", rounds, sums[0], wantIDs)
		}
		if sums[1] > 0 {
			break
		}
	}
	if err := w.Finalize(); err != nil {
		log.Fatalf("finalize: %v", err)
	}
	if rank == 0 {
		fmt.Printf("churn: %d rounds\n", rounds+1)
	}
	os.Exit(0)
}
