package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/launcher"
)

// proxyOptions is the command line of `spmdrun --proxy`, which the root
// spmdrun runs on every other host (through ssh, srun, pbsdsh...). Nothing
// on it is secret: the cookie comes from SPMD_COOKIE, a file, or the first
// line of standard input.
type proxyOptions struct {
	root       string
	index      int
	name       string
	cookieFile string
	connect    time.Duration
}

func parseProxyArgs(args []string) (*proxyOptions, error) {
	o := &proxyOptions{}
	fs := flag.NewFlagSet("spmdrun --proxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.root, "root", "", "")
	fs.IntVar(&o.index, "index", -1, "")
	fs.StringVar(&o.name, "name", "", "")
	fs.StringVar(&o.cookieFile, "cookie-file", "", "")
	fs.DurationVar(&o.connect, "connect-timeout", 0, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case o.root == "":
		return nil, errors.New("--proxy needs --root host:port[,host:port...]")
	case fs.NArg() > 0:
		return nil, fmt.Errorf("--proxy takes no program (got %q)", fs.Arg(0))
	case o.index < -1:
		return nil, fmt.Errorf("invalid host index %d", o.index)
	}
	return o, nil
}

// readCookie finds the job's cookie: SPMD_COOKIE, else the cookie file,
// else the first line of standard input. fromStdin tells the caller that
// standard input is the launcher's (ssh's) and its end means the root is
// gone.
func readCookie(o *proxyOptions, stdin io.Reader) (cookie string, fromStdin bool, rest *bufio.Reader, err error) {
	if c := os.Getenv("SPMD_COOKIE"); c != "" {
		return c, false, nil, nil
	}
	if o.cookieFile != "" {
		b, err := os.ReadFile(o.cookieFile)
		if err != nil {
			return "", false, nil, fmt.Errorf("cookie file: %w", err)
		}
		return strings.TrimSpace(string(b)), false, nil, nil
	}
	br := bufio.NewReader(stdin)
	line, err := br.ReadString('\n')
	if err != nil {
		return "", false, nil, fmt.Errorf("reading the job's cookie from standard input: %w", err)
	}
	return strings.TrimSpace(line), true, br, nil
}

// runProxy is `spmdrun --proxy`: it returns the exit code.
func runProxy(args []string, stdin io.Reader, stderr io.Writer) int {
	o, err := parseProxyArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "spmdrun --proxy: %v\n", err)
		return launcher.ExitUsage
	}
	cookie, fromStdin, rest, err := readCookie(o, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "spmdrun --proxy: %v\n", err)
		return 1
	}
	p := &launcher.Proxy{Root: strings.Split(o.root, ","), Cookie: cookie, Index: o.index,
		Name: o.name, ConnectTimeout: o.connect, Stderr: stderr}
	if fromStdin {
		// ssh keeps the proxy's standard input open as long as the root's
		// ssh runs: its end is the root's end, even if no TCP reset ever
		// arrives.
		gone := make(chan struct{})
		go func() {
			_, _ = io.Copy(io.Discard, rest)
			close(gone)
		}()
		p.RootGone = gone
	}
	// The root ends the job through the connection; signals from the
	// remote side (ssh hanging up, a batch system's kill) end it here.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	code, err := p.Run(ctx)
	if err != nil {
		host, _ := os.Hostname()
		fmt.Fprintf(stderr, "spmdrun --proxy on %s: %v\n", host, err)
	}
	return code
}
