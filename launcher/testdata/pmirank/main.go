// Command pmirank is a test rank for the launcher's tests. It speaks PMI-1
// through package pmi and behaves as its first argument says:
//
//	ok                  put a key, fence, read every rank's key, print, finalize
//	exit R C            fence; rank R exits with code C, the others hang
//	abort R C MSG       fence; rank R calls PMI abort, the others hang
//	abortexit R C       fence; rank R calls PMI abort with code C, then exits 5 at once; the others hang
//	kill R              fence; rank R kills itself with SIGKILL, the others hang
//	told R C [exit]     fence; rank R exits with code C, the others print "rank N told: LINE"
//	                    for the first line of their loss-notification pipe (SPMD_NOTIFY_FD),
//	                    then hang, or with "exit" exit 1 at once
//	hang                fence, then hang until killed
//	ignoreterm          ignore SIGTERM, fence, print "ready", hang
//	nofinalize          fence, exit 0 without PMI finalize
//	nopmi               print a line and exit 0 without using PMI
//	partial N           print N lines, each in several pieces, and a last unterminated line
//	stdin               rank 0 copies its standard input to standard output as "got: LINE"
//	env VAR...          print VAR=value for every VAR
//	where               fence; print "rank R local L/S mapping M" (SPMD_LOCAL_RANK/SIZE, PMI_process_mapping)
//	spmd REPORT...      act as an spmd rank: put a card (jobnames.CardKey), fence, print "ready",
//	                    hang; on each SIGUSR1 put the next report (jobnames.BlockedKey), with
//	                    value REPORT number R (default "none"); a REPORT with "|" is put
//	                    as several values, one after the other, as fragments are.
//	                    REPORT "silent" never answers; "nocard" puts no card (and dies of
//	                    SIGUSR1); "finalized" finalizes after the fence, then ignores SIGUSR1;
//	                    "quit" exits 3 on SIGUSR1
//
// With PMIRANK_PIDS=1 every rank first prints "pid=<pid>" on standard error.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
	"github.com/spmd-go/spmd/internal/pmi"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: pmirank MODE [ARGS]")
	}
	mode, args := os.Args[1], os.Args[2:]
	if os.Getenv("PMIRANK_PIDS") == "1" {
		fmt.Fprintf(os.Stderr, "pid=%d\n", os.Getpid())
	}
	switch mode {
	case "nopmi":
		fmt.Println("no pmi here")
		return
	case "env":
		for _, v := range args {
			fmt.Printf("%s=%s\n", v, os.Getenv(v))
		}
		return
	case "ignoreterm":
		signal.Ignore(syscall.SIGTERM)
	case "spmd":
		spmd(args)
		return
	}

	c, err := pmi.NewClientFromEnv()
	if err != nil {
		fail("pmi: %v", err)
	}
	rank := c.Rank()
	if mode != "ok" {
		if err := c.Barrier(); err != nil {
			fail("barrier: %v", err)
		}
	}
	switch mode {
	case "ok":
		ok(c)
	case "abortexit":
		if atoi(arg(args, 0)) != rank {
			hang()
		}
		_ = c.Abort(atoi(arg(args, 1)), "")
		os.Exit(5)
	case "told":
		if atoi(arg(args, 0)) == rank {
			os.Exit(atoi(arg(args, 1)))
		}
		fd, err := strconv.Atoi(os.Getenv("SPMD_NOTIFY_FD"))
		if err != nil {
			fail("SPMD_NOTIFY_FD: %v", err)
		}
		line, err := bufio.NewReader(os.NewFile(uintptr(fd), "notify")).ReadString('\n')
		if err != nil {
			fail("reading notices: %v", err)
		}
		fmt.Printf("rank %d told: %s", rank, line)
		if arg(args, 2) == "exit" {
			os.Exit(1)
		}
		hang()
	case "exit", "abort", "kill":
		if atoi(arg(args, 0)) != rank {
			hang()
		}
		code := 0
		if mode != "kill" {
			code = atoi(arg(args, 1))
		}
		switch mode {
		case "exit":
			os.Exit(code)
		case "abort":
			if err := c.Abort(code, arg(args, 2)); err != nil {
				fail("abort: %v", err)
			}
			hang() // the launcher ends the job
		case "kill":
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			hang()
		}
	case "hang":
		hang()
	case "ignoreterm":
		fmt.Println("ready")
		hang()
	case "nofinalize":
		os.Exit(0)
	case "partial":
		partial(rank, atoi(arg(args, 0)))
	case "where":
		m, err := c.Get("PMI_process_mapping")
		if err != nil {
			m = "none"
		}
		fmt.Printf("rank %d local %s/%s mapping %s\n", rank, os.Getenv("SPMD_LOCAL_RANK"), os.Getenv("SPMD_LOCAL_SIZE"), m)
	case "stdin":
		if rank == 0 {
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				fmt.Printf("got: %s\n", sc.Text())
			}
		}
	default:
		fail("unknown mode %q", mode)
	}
	if err := c.Finalize(); err != nil {
		fail("finalize: %v", err)
	}
}

// spmd plays an spmd rank that reports blocked operations by hand, in the
// protocol of package comm, so that the launcher's tests do not depend on
// comm.
func spmd(reports []string) {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1) // before the card: a rank with a card must survive SIGUSR1
	c, err := pmi.NewClientFromEnv()
	if err != nil {
		fail("pmi: %v", err)
	}
	rank := c.Rank()
	report := "none"
	if rank < len(reports) {
		report = reports[rank]
	}
	if report == "nocard" {
		signal.Reset(syscall.SIGUSR1)
	} else if err := c.Put(jobnames.CardKey(rank), "card"); err != nil {
		fail("put card: %v", err)
	}
	if err := c.Barrier(); err != nil {
		fail("barrier: %v", err)
	}
	if report == "finalized" {
		if err := c.Finalize(); err != nil {
			fail("finalize: %v", err)
		}
		// Like package comm: SIGUSR1 stays harmless, since the launcher
		// may signal a rank just before it sees the finalize.
		signal.Ignore(syscall.SIGUSR1)
		fmt.Println("ready")
		hang()
	}
	fmt.Println("ready")
	for seq := 0; ; {
		<-usr1
		switch report {
		case "silent":
			continue
		case "quit":
			os.Exit(3)
		}
		for _, v := range strings.Split(report, "|") {
			if err := c.Put(jobnames.BlockedKey(rank, seq), v); err != nil {
				fail("put report: %v", err)
			}
			seq++
		}
	}
}

// ok exchanges one key per rank through the KVS and prints what it read.
func ok(c *pmi.Client) {
	rank, size := c.Rank(), c.Size()
	if err := c.Put(fmt.Sprintf("card-%d", rank), fmt.Sprintf("rank%d", rank)); err != nil {
		fail("put: %v", err)
	}
	if err := c.Barrier(); err != nil {
		fail("barrier: %v", err)
	}
	for r := 0; r < size; r++ {
		v, err := c.Get(fmt.Sprintf("card-%d", r))
		if err != nil {
			fail("get card-%d: %v", r, err)
		}
		if v != fmt.Sprintf("rank%d", r) {
			fail("card-%d = %q", r, v)
		}
	}
	fmt.Printf("rank %d of %d saw %d cards\n", rank, size, size)
}

// partial writes n lines, each in three writes, then an unterminated line.
func partial(rank, n int) {
	for i := 0; i < n; i++ {
		_, _ = fmt.Fprintf(os.Stdout, "line %d ", i)
		_, _ = fmt.Fprintf(os.Stdout, "from rank %d", rank)
		_, _ = fmt.Fprint(os.Stdout, " end\n")
	}
	_, _ = fmt.Fprintf(os.Stdout, "last words of rank %d", rank)
}

func hang() {
	for {
		time.Sleep(time.Hour)
	}
}

func arg(args []string, i int) string {
	if i >= len(args) {
		fail("missing argument %d", i+1)
	}
	return args[i]
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail("bad number %q", s)
	}
	return n
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pmirank: "+format+"\n", args...)
	os.Exit(99)
}
