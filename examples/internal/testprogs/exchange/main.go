// Command exchange is a test program: pairs of ranks swap checked messages
// for a while, so that a test can disturb the job meanwhile and then see
// that every message still arrived intact.
//
// Usage:
//
//	spmdrun -n 2 exchange [-duration 2s] [-words 512]
//
// Every rank prints "pid P" before comm.Init and "rank R ready" after it.
// Ranks 2k and 2k+1 then call comm.Sendrecv with each other over and over,
// each message holding the iteration number, a continue flag and -words
// int64 words derived from the sender's rank and the iteration; the
// receiver checks all of it. The lower rank of a pair decides when to stop
// (after -duration) through the continue flag, so both stop after the same
// exchange. Each rank ends by printing "rank R ok: N exchanges with rank P".
// The number of ranks must be even.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/spmd-go/spmd/comm"
)

const tag = 5

func main() {
	duration := flag.Duration("duration", 2*time.Second, "how long the lower rank of each pair keeps exchanging")
	words := flag.Int("words", 512, "payload `length` in int64 words")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("exchange: ")
	if *words < 0 {
		log.Fatalf("-words must not be negative, got %d", *words)
	}
	fmt.Printf("pid %d\n", os.Getpid())

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	rank := w.Rank()
	log.SetPrefix(fmt.Sprintf("exchange: rank %d: ", rank))
	if w.Size()%2 != 0 {
		log.Fatalf("needs an even number of ranks, got %d", w.Size())
	}
	fmt.Printf("rank %d ready\n", rank)

	partner := rank ^ 1
	leader := rank < partner
	out := make([]int64, 2+*words)
	in := make([]int64, 2+*words)
	deadline := time.Now().Add(*duration)
	iter := int64(0)
	for more := true; more; iter++ {
		out[0], out[1] = iter, 0
		if leader && time.Now().Before(deadline) {
			out[1] = 1
		}
		fill(out[2:], rank, iter)
		st, err := comm.Sendrecv(w, out, partner, tag, in, partner, tag)
		if err != nil {
			log.Fatalf("exchange %d with rank %d: %v", iter, partner, err)
		}
		if err := check(in, st, partner, iter); err != nil {
			log.Fatalf("exchange %d with rank %d: %v", iter, partner, err)
		}
		if leader {
			more = out[1] == 1
		} else {
			more = in[1] == 1
		}
	}
	if err := w.Finalize(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("rank %d ok: %d exchanges with rank %d\n", rank, iter, partner)
}

// fill writes the payload that rank sends in iteration iter.
func fill(p []int64, rank int, iter int64) {
	for j := range p {
		p[j] = int64(rank)<<48 ^ iter<<20 ^ int64(j)*0x5851f42d4c957f2d
	}
}

// check verifies a message received from partner in iteration iter.
func check(in []int64, st comm.Status, partner int, iter int64) error {
	if st.Source != partner || st.Tag != tag || st.Bytes != 8*len(in) {
		return fmt.Errorf("status %+v, want source %d, tag %d, %d bytes", st, partner, tag, 8*len(in))
	}
	if in[0] != iter {
		return fmt.Errorf("message of iteration %d, want %d", in[0], iter)
	}
	want := make([]int64, len(in)-2)
	fill(want, partner, iter)
	for j, v := range in[2:] {
		if v != want[j] {
			return fmt.Errorf("payload word %d is %#x, want %#x", j, v, want[j])
		}
	}
	return nil
}
