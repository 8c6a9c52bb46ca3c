package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spmd-go/spmd/launcher"
	"github.com/spmd-go/spmd/launcher/sched"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is spmdrun with its arguments and standard streams; it returns the
// exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--proxy" || args[0] == "-proxy") {
		return runProxy(args[1:], stdin, stderr)
	}
	if len(args) > 0 && (args[0] == "--join" || args[0] == "-join") {
		return runJoin(args[1:], os.LookupEnv, stderr)
	}
	opts, err := parseArgs(args, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "spmdrun: %v (see spmdrun --help)\n", err)
		return launcher.ExitUsage
	}
	switch {
	case opts.help:
		fmt.Fprint(stdout, usage)
		return 0
	case opts.version:
		fmt.Fprintf(stdout, "spmdrun %s %s\n", version(), runtime.Version())
		return 0
	case opts.mergeDir != "":
		return mergeProfile(opts.mergeDir, stderr)
	case opts.statusPID != 0:
		if err := requestStatus(opts.statusPID); err != nil {
			fmt.Fprintf(stderr, "spmdrun: %v\n", err)
			return 1
		}
		return 0
	}
	alloc, err := opts.allocation(os.LookupEnv)
	if err == nil {
		var m *sched.Mapping
		if m, err = opts.mapping(alloc); err == nil {
			if opts.printAlloc {
				printAllocation(stdout, alloc, m, opts.n)
				return 0
			}
			job := opts.job(m)
			if c := opts.condor; c != nil {
				host, _ := os.Hostname()
				if err := condorRoot(job, c, host, stderr); err != nil {
					fmt.Fprintf(stderr, "spmdrun: %v\n", err)
					return launcher.ExitInternal
				}
				defer os.Remove(c.Rendezvous.CookiePath())
				defer c.Rendezvous.Remove()
			}
			runIt := func() int {
				if opts.report == "" {
					return runJob(job, stdin, stdout, stderr)
				}
				return runReported(job, opts.report, stdin, stdout, stderr)
			}
			if opts.profiling.on() {
				return opts.profiling.run(job, runIt, stderr)
			}
			return runIt()
		}
	}
	fmt.Fprintf(stderr, "spmdrun: %v\n", err)
	return launcher.ExitUsage
}

// runJob runs job with the standard streams, forwarding signals, and
// returns its exit code. SIGUSR1 asks for a status report instead; it is
// not forwarded.
func runJob(job *launcher.Job, stdin io.Reader, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	status := make(chan os.Signal, 1)
	signal.Notify(status, syscall.SIGUSR1)
	defer signal.Stop(status)

	job.Stdin, job.Stdout, job.Stderr = stdin, stdout, stderr
	job.Signals, job.Status = sigs, status
	code, _ := job.Run(context.Background()) // Run has written the notice
	return code
}

// version is the module version spmdrun was built from, or "(devel)".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
