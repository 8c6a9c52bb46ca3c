package pbsemu

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// HomeEnv is the variable that names the emulated server's directory for
// its commands.
const HomeEnv = "PBSEMU_HOME"

// Init makes an emulated server in home: its directories, config.json
// (cfg), the commands of its dialect in home/bin (qsub, qstat, qdel,
// pbsdsh, and pbs_tmrsh for OpenPBS only: Torque has none), each a small
// script running cfg.Binary with PBSEMU_HOME set, and pbs_environment,
// whose PATH (home/bin, then path) is every job's.
func Init(home string, cfg Config, path string) error {
	if cfg.Server == "" || len(cfg.Hosts) == 0 || cfg.Binary == "" {
		return fmt.Errorf("pbsemu init: a server name, hosts and the pbsemu binary are needed")
	}
	if len(cfg.Queues) == 0 {
		cfg.Queues = []string{"workq"}
		if cfg.Dialect == Torque {
			cfg.Queues = []string{"batch"}
		}
	}
	for _, d := range []string{"aux", "spool", "jobs", "mom", "tmp", "bin"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(cfg, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, "config.json"), b, 0o644); err != nil {
		return err
	}
	cmds := []string{"qsub", "qstat", "qdel", "pbsdsh"}
	if cfg.Dialect == OpenPBS {
		cmds = append(cmds, "pbs_tmrsh")
	}
	for _, c := range cmds {
		w := fmt.Sprintf("#!/bin/sh\n# %s of the emulated %s server in %s\n%s=%s exec %s %s \"$@\"\n",
			c, cfg.Dialect, home, HomeEnv, shellQuote(home), shellQuote(cfg.Binary), c)
		if err := os.WriteFile(filepath.Join(home, "bin", c), []byte(w), 0o755); err != nil {
			return err
		}
	}
	envPath := filepath.Join(home, "bin")
	if path != "" {
		envPath += ":" + path
	}
	return os.WriteFile(filepath.Join(home, "pbs_environment"), []byte("PATH="+envPath+"\n"), 0o644)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Main is the pbsemu command: the first argument names the command
// (qsub, qstat, qdel, pbsdsh, pbs_tmrsh, init, mom; _run is the server's
// own), or else the program's base name does, for links named after the
// commands. The server's directory is $PBSEMU_HOME.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := filepath.Base(args[0])
	rest := args[1:]
	if name == "pbsemu" {
		if len(rest) == 0 {
			fmt.Fprintln(stderr, "usage: pbsemu qsub|qstat|qdel|pbsdsh|pbs_tmrsh|init|mom [args]")
			return 2
		}
		name, rest = rest[0], rest[1:]
	}
	home := os.Getenv(HomeEnv)
	needHome := func() bool {
		if home == "" {
			fmt.Fprintf(stderr, "%s: %s is not set (the emulated server's directory)\n", name, HomeEnv)
			return false
		}
		return true
	}
	switch name {
	case "qsub":
		if !needHome() {
			return 1
		}
		return Qsub(home, rest, os.Getenv, stdin, stdout, stderr)
	case "qstat":
		if !needHome() {
			return 1
		}
		return Qstat(home, rest, stdout, stderr)
	case "qdel":
		if !needHome() {
			return 1
		}
		return Qdel(home, rest, stderr)
	case "pbsdsh":
		if !needHome() {
			return 1
		}
		return Pbsdsh(home, rest, os.Getenv, stdout, stderr)
	case "pbs_tmrsh":
		if !needHome() {
			return 255
		}
		return PbsTmrsh(home, rest, os.Getenv, stderr)
	case "mom":
		fs := flag.NewFlagSet("mom", flag.ContinueOnError)
		fs.SetOutput(stderr)
		h := fs.String("home", home, "the server's directory")
		host := fs.String("host", "", "the host this mom serves")
		if fs.Parse(rest) != nil {
			return 2
		}
		// A mom serves until it is killed or its listener fails.
		fmt.Fprintf(stderr, "pbsemu mom: %v\n", RunMom(*h, *host))
		return 1
	case "_run":
		if len(rest) != 2 {
			fmt.Fprintln(stderr, "usage: pbsemu _run HOME JOBID")
			return 2
		}
		if err := RunJob(rest[0], rest[1]); err != nil {
			fmt.Fprintf(stderr, "pbsemu _run %s: %v\n", rest[1], err)
			return 1
		}
		return 0
	case "init":
		return initCmd(rest, stderr)
	}
	fmt.Fprintf(stderr, "pbsemu: unknown command %q\n", name)
	return 2
}

func initCmd(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dialect := fs.String("dialect", "openpbs", "openpbs or torque")
	server := fs.String("server", "pbsemu", "the server's name (job ids are SEQ.SERVER)")
	hosts := fs.String("hosts", "", "execution hosts, NAME:NCPUS,… (NCPUS default 2)")
	queues := fs.String("queues", "", "queue names, the first the default (default workq, Torque batch)")
	compat := fs.Bool("nodes-compat", false, "OpenPBS: convert -l nodes to select instead of refusing it")
	kill := fs.Duration("kill-delay", 2*time.Second, "SIGTERM to SIGKILL delay for qdel and walltime")
	path := fs.String("path", "/usr/local/bin:/usr/bin:/bin", "PATH of jobs, after the server's bin")
	if fs.Parse(args) != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: pbsemu init [flags] HOME")
		return 2
	}
	d, err := ParseDialect(*dialect)
	if err != nil {
		fmt.Fprintf(stderr, "pbsemu init: %v\n", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "pbsemu init: %v\n", err)
		return 1
	}
	cfg := Config{Dialect: d, Server: *server, NodesCompat: *compat, KillDelay: *kill, Binary: exe}
	for _, h := range strings.Split(*hosts, ",") {
		name, n, _ := strings.Cut(h, ":")
		ncpus := 2
		if n != "" {
			if ncpus, err = strconv.Atoi(n); err != nil || ncpus < 1 {
				fmt.Fprintf(stderr, "pbsemu init: bad host %q\n", h)
				return 2
			}
		}
		if !validHostName(name) {
			fmt.Fprintf(stderr, "pbsemu init: bad host %q\n", h)
			return 2
		}
		cfg.Hosts = append(cfg.Hosts, HostConfig{Name: name, NCPUs: ncpus})
	}
	if *queues != "" {
		cfg.Queues = strings.Split(*queues, ",")
	}
	home, err := filepath.Abs(fs.Arg(0))
	if err == nil {
		err = Init(home, cfg, *path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pbsemu init: %v\n", err)
		return 1
	}
	return 0
}
