// Command sysmonclass is a test program for SPMD_SYSMON: each rank joins
// the job and prints the scheduling class of the Go runtime's monitor
// thread after Init,
//
//	rank R sysmon idle|normal|other
//
// so that a test can check which ranks Init quieted.
//
// Usage:
//
//	spmdrun -n N sysmonclass
package main

import (
	"fmt"
	"log"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/internal/sysmon"
	"golang.org/x/sys/unix"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("sysmonclass: ")
	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	tid, err := sysmon.Thread()
	if err != nil {
		log.Fatalf("rank %d: %v", w.Rank(), err)
	}
	p, err := sysmon.Policy(tid)
	if err != nil {
		log.Fatalf("rank %d: %v", w.Rank(), err)
	}
	class := map[uint32]string{unix.SCHED_IDLE: "idle", unix.SCHED_NORMAL: "normal"}[p]
	if class == "" {
		class = "other"
	}
	fmt.Printf("rank %d sysmon %s\n", w.Rank(), class)
	if err := w.Finalize(); err != nil {
		log.Fatalf("rank %d: %v", w.Rank(), err)
	}
}
