// Command amdahl is a test program with a known scaling law, for the tests
// of spmdbench scale: every rank sleeps -serial seconds (the serial part,
// which in an SPMD program every rank repeats or waits for), then
// -parallel/size seconds (the part that divides). Sleeping rather than
// computing makes the law hold whatever the number of cores, and no
// communication between comm.Init and Finalize keeps collective latency on
// a busy machine out of it.
//
// Usage:
//
//	spmdrun -n 4 amdahl -serial 0.05 -parallel 0.4          strong: T(p) = 0.05 + 0.4/p
//	spmdrun -n 4 amdahl -serial 0.05 -parallel 0.8          weak, as spmdbench scale --weak
//	                                                         runs it with -parallel {0.2*p}
//
// In a strong sweep the Amdahl serial fraction is serial/(serial+parallel).
// In a weak sweep where -parallel grows as c·p, every rank sleeps c, and one
// rank alone (Gustafson's reference) sleeps serial + c·p, so the Gustafson
// serial fraction is serial/(serial+c). Rank 0 prints
// "amdahl: ranks=N elapsed=S rate=R" (R = 1/S) for --metric tests; -fail
// makes rank 0 exit with that code after the work instead.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/spmd-go/spmd/comm"
)

func main() {
	serial := flag.Float64("serial", 0.05, "seconds every rank sleeps whatever the ranks")
	parallel := flag.Float64("parallel", 0.4, "seconds of work divided among the ranks")
	fail := flag.Int("fail", 0, "exit code for rank 0 after the work (0: succeed)")
	flag.Parse()
	c, err := comm.Init()
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	// One wait for both parts, to a deadline: each wake-up on a busy host
	// is late by the scheduler's latency, which is no part of the law, so
	// the rank sleeps to just short of the deadline and spins the rest.
	deadline := start.Add(seconds(*serial + *parallel/float64(c.Size())))
	time.Sleep(time.Until(deadline) - spinLast)
	for time.Now().Before(deadline) {
	}
	if c.Rank() == 0 {
		el := time.Since(start).Seconds()
		fmt.Printf("amdahl: ranks=%d elapsed=%.6f rate=%.6f\n", c.Size(), el, 1/el)
		if *fail != 0 {
			os.Exit(*fail)
		}
	}
	if err := c.Finalize(); err != nil {
		log.Fatal(err)
	}
}

// spinLast is how much of the wait is spent spinning rather than asleep.
const spinLast = 2 * time.Millisecond

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
