// Command wireup is a test program for lazy wire-up: it exchanges with its
// ring neighbours (and, with -allreduce, in an allreduce), then reports
// what it holds, so that a test can check that a job holds connections and
// shared memory for the pairs that talked, not for every pair.
//
// Usage:
//
//	spmdrun -n N wireup [-rounds 3] [-allreduce]
//
// Each rank calls comm.Sendrecv with its ring neighbours -rounds times,
// checking what arrives; with -allreduce it then sums the ranks with
// collective.Allreduce and checks the sum. Before Finalize it prints
//
//	rank R sockets S shm B fds F maxrss K
//
// where S counts its open sockets (its links, its listener and its
// connection to the launcher), B the bytes of the shared-memory segments
// it has mapped (each pair's segment is mapped by both ranks), F all its
// open file descriptors and K its peak resident memory in KiB. A job of
// it is what scripts/fullnode.sh measures next to the same program in C on
// Open MPI (bench/peers/fullnode_hello.c).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

func main() {
	rounds := flag.Int("rounds", 3, "ring exchanges")
	allreduce := flag.Bool("allreduce", false, "also sum the ranks with an allreduce")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("wireup: ")
	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	n, me := w.Size(), w.Rank()
	right, left := (me+1)%n, (me+n-1)%n
	got := []int{-1}
	for range *rounds {
		if _, err := comm.Sendrecv(w, []int{me}, right, 0, got, left, 0); err != nil {
			log.Fatalf("rank %d: sendrecv: %v", me, err)
		}
		if got[0] != left {
			log.Fatalf("rank %d: got %d from the left, want %d", me, got[0], left)
		}
	}
	if *allreduce {
		sum := []int{0}
		if err := collective.Allreduce(w, []int{me}, sum, collective.Sum); err != nil {
			log.Fatalf("rank %d: allreduce: %v", me, err)
		}
		if sum[0] != n*(n-1)/2 {
			log.Fatalf("rank %d: allreduce gave %d, want %d", me, sum[0], n*(n-1)/2)
		}
	}
	socks, fds := sockets()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("rank %d sockets %d shm %d fds %d maxrss %d\n", me, socks, shmMapped(), fds, ru.Maxrss)
	if err := w.Finalize(); err != nil {
		log.Fatalf("rank %d: %v", me, err)
	}
}

// sockets counts this process's open sockets, and all its descriptors.
func sockets() (socks, fds int) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for _, fd := range ents {
		if t, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(t, "socket:") {
			n++
		}
	}
	return n, len(ents) - 1 // less the directory being read
}

// shmMapped sums the sizes of this process's mappings of files in
// /dev/shm (unlinked by then: their names end in " (deleted)").
func shmMapped() int {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	total := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/dev/shm/") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			log.Fatalf("maps line %q", sc.Text())
		}
		total += int(b - a)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return total
}
