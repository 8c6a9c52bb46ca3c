// Command profcounts is a test program for spmdrun --profile and --trace:
// on 4 ranks it makes a known number of each call, so that a test can
// check the profile's counts and the trace's arrows against them.
//
// Usage:
//
//	spmdrun -n 4 --profile DIR --trace DIR profcounts [-p2p=false]
//
// Every rank calls Allreduce 100 times (8 bytes) and Bcast 50 times (64
// bytes, root 0). Then, unless -p2p=false, 1,000 Send/Recv pairs of 32
// bytes with tag 3: rank 0 sends 400 to rank 1, rank 1 sends 300 to rank
// 2, and rank 3 sends 300 to rank 0. The run without point-to-point
// traffic lets a test subtract the collectives' own messages from the
// matrix. Each rank prints "rank R done".
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

const (
	allreduces = 100
	bcasts     = 50
	tag        = 3
)

// pairs lists the point-to-point traffic: from, to, messages.
var pairs = [][3]int{{0, 1, 400}, {1, 2, 300}, {3, 0, 300}}

func main() {
	p2p := flag.Bool("p2p", true, "make the 1,000 Send/Recv pairs")
	flag.Parse()
	log.SetFlags(0)
	w, err := comm.Init()
	if err != nil {
		log.Fatalf("profcounts: init: %v", err)
	}
	rank := w.Rank()
	if w.Size() != 4 {
		log.Fatalf("profcounts: needs 4 ranks, got %d", w.Size())
	}
	in, out := []float64{float64(rank)}, make([]float64, 1)
	for range allreduces {
		if err := collective.Allreduce(w, in, out, collective.Sum); err != nil {
			log.Fatalf("profcounts: rank %d: allreduce: %v", rank, err)
		}
	}
	buf := make([]int64, 8)
	for range bcasts {
		if err := collective.Bcast(w, buf, 0); err != nil {
			log.Fatalf("profcounts: rank %d: bcast: %v", rank, err)
		}
	}
	msg := make([]int32, 8)
	for _, p := range pairs {
		if !*p2p {
			break
		}
		for range p[2] {
			switch rank {
			case p[0]:
				err = comm.Send(w, msg, p[1], tag)
			case p[1]:
				_, err = comm.Recv(w, msg, p[0], tag)
			}
			if err != nil {
				log.Fatalf("profcounts: rank %d: %v", rank, err)
			}
		}
	}
	if err := w.Finalize(); err != nil {
		log.Fatalf("profcounts: rank %d: finalize: %v", rank, err)
	}
	fmt.Printf("rank %d done\n", rank)
}
