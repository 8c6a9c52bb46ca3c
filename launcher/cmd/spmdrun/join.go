package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spmd-go/spmd/launcher"
	"github.com/spmd-go/spmd/launcher/sched"
)

// runJoin is `spmdrun --join`, which every node of an HTCondor parallel job
// but node 0 runs: it publishes the node's contact, waits for node 0's
// launcher to publish its address, reads the job's cookie from the 0600
// file node 0 wrote in the shared directory, and serves as the node's
// proxy. --name overrides the host name it claims (for tests).
func runJoin(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) int {
	fs := flag.NewFlagSet("spmdrun --join", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spmdrun --join: takes only --name (got %q)\n", args)
		return launcher.ExitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "spmdrun --join: %v\n", err)
		return 1
	}
	d, err := sched.Detect(lookupEnv)
	if err != nil {
		return fail(err)
	}
	if d.Condor == nil {
		return fail(fmt.Errorf("not in an HTCondor parallel job (no _CONDOR_PROCNO)"))
	}
	c := d.Condor
	if c.ProcNo == 0 {
		return fail(fmt.Errorf("node 0 runs spmdrun with the program, not --join"))
	}
	host := *name
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return fail(err)
		}
	}
	r := &c.Rendezvous
	if err := r.Publish(sched.Contact{ProcNo: c.ProcNo, Host: host, Slots: c.Slots}); err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	connect, err := envConnectTimeout(lookupEnv)
	if err != nil {
		return fail(err)
	}
	// Node 0 publishes its address once every node has met (within its
	// wait) and its launcher listens: twice its wait bounds ours.
	wait := 2 * meetingWait(connect)
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	root, err := r.WaitRoot(wctx)
	if err != nil {
		return fail(fmt.Errorf("waited %v, twice node 0's wait for the nodes (SPMD_CONNECT_TIMEOUT sets it): %w", wait, err))
	}
	if root.Addr == sched.RootAddrNone {
		return 0 // every rank runs on node 0's host
	}
	cookie, err := os.ReadFile(r.CookiePath())
	if err != nil {
		return fail(fmt.Errorf("cookie: %w", err))
	}
	p := &launcher.Proxy{Root: strings.Split(root.Addr, ","), Cookie: strings.TrimSpace(string(cookie)),
		Index: -1, Name: host, Stderr: stderr}
	code, err := p.Run(ctx)
	if err != nil {
		return fail(err)
	}
	return code
}

// condorRoot prepares node 0's job for the nodes that run --join: they
// start by themselves, and learn where to connect and the cookie once the
// launcher listens.
func condorRoot(job *launcher.Job, c *sched.CondorJob, host string, stderr io.Writer) error {
	cookie, err := launcher.NewCookie()
	if err != nil {
		return err
	}
	job.Cookie = cookie
	job.Launcher = &launcher.RemoteLauncher{External: true}
	r := &c.Rendezvous
	job.Listening = func(addrs []string) {
		addr := sched.RootAddrNone
		if len(addrs) > 0 {
			if err := os.WriteFile(r.CookiePath(), []byte(cookie+"\n"), 0o600); err != nil {
				fmt.Fprintf(stderr, "spmdrun: HTCondor cookie file: %v\n", err)
				return // the nodes time out and the job fails with the reason
			}
			addr = strings.Join(addrs, ",")
		}
		if err := r.Publish(sched.Contact{ProcNo: 0, Host: host, Slots: c.Slots, Addr: addr}); err != nil {
			fmt.Fprintf(stderr, "spmdrun: HTCondor rendezvous: %v\n", err)
		}
	}
	return nil
}
