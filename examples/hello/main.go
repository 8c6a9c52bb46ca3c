// Command hello is the smallest SPMD program: every rank says who it is.
//
// Usage:
//
//	spmdrun -n 4 hello
//
// Each rank prints one line,
//
//	hello from rank R of N on HOST (pid P)
//
// in whatever order the ranks get there. Run without spmdrun, hello is a
// world of one rank and prints "hello from rank 0 of 1 ...".
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/spmd-go/spmd/comm"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: spmdrun -n N hello\n\nEvery rank prints its rank, the world size, its host and its pid.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	log.SetFlags(0)
	log.SetPrefix("hello: ")

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	log.SetPrefix(fmt.Sprintf("hello: rank %d: ", w.Rank()))

	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	fmt.Printf("hello from rank %d of %d on %s (pid %d)\n", w.Rank(), w.Size(), host, os.Getpid())

	if err := w.Finalize(); err != nil {
		log.Fatal(err)
	}
}
