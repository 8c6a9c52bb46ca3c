package launcher

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RemoteLauncher says how spmdrun starts its proxies on the hosts that are
// not this one.
type RemoteLauncher struct {
	// Command starts proxies. With PerHost it is run once per host as
	// Command, the host, then the proxy's command line, as ssh is run;
	// otherwise it is run once, as Command then the proxy's command line,
	// and must start one proxy on every host of the job (srun, pbsdsh -u),
	// each of which finds its place by its host name. Nil means ssh.
	Command []string
	// PerHost: see Command.
	PerHost bool
	// External means the proxies are started by someone else (the nodes
	// of an HTCondor parallel job run `spmdrun --join`): nothing is run,
	// and each proxy finds its place by its host name. Job.Listening tells
	// where they are to connect.
	External bool
	// Cookie says how proxies learn the job's cookie, which must never be
	// on a command line: "stdin" (the first line of the proxy's standard
	// input; for launchers that forward it, like ssh), "env" (SPMD_COOKIE
	// in the launcher's environment; for launchers that pass it on, like
	// srun), or "file" (a file, readable by the user only, in the home
	// directory, which the hosts must share; for launchers that do
	// neither, like pbsdsh).
	Cookie string
	// ProxyPath is spmdrun's path on the other hosts; empty means this
	// executable's.
	ProxyPath string
}

// SSH is the default RemoteLauncher: ssh to each host in batch mode (no
// password prompts), the cookie on standard input.
var SSH = RemoteLauncher{Command: []string{"ssh", "-o", "BatchMode=yes", "-x"}, PerHost: true, Cookie: "stdin"}

// proxyArgs is the proxy's command line for host index i (-1: by name).
func (pr *proxyRoot) proxyArgs(l RemoteLauncher, i int) ([]string, error) {
	path := l.ProxyPath
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding spmdrun's own path: %w", err)
		}
		path = exe
	}
	args := []string{path, "--proxy", "--root", strings.Join(pr.addrs, ","), "--index", strconv.Itoa(i)}
	if t := pr.s.job.ConnectTimeout; t > 0 {
		args = append(args, "--connect-timeout", t.String())
	}
	if l.Cookie == "file" {
		args = append(args, "--cookie-file", pr.cookieF)
	}
	return args, nil
}

// start runs the launcher for every remote host, and accepts the proxies
// on a goroutine of its own.
func (pr *proxyRoot) start() error {
	l := SSH
	if pr.s.job.Launcher != nil {
		l = *pr.s.job.Launcher
	}
	if l.External {
		go pr.accept()
		return nil
	}
	if len(l.Command) == 0 {
		l.Command = SSH.Command
	}
	switch l.Cookie {
	case "stdin", "env":
	case "file":
		f, err := writeCookieFile(pr.s.cookie)
		if err != nil {
			return err
		}
		pr.cookieF = f
	default:
		return fmt.Errorf("launcher cookie passing %q: want stdin, env or file", l.Cookie)
	}
	go pr.accept()
	if !l.PerHost {
		args, err := pr.proxyArgs(l, -1)
		if err != nil {
			return err
		}
		return pr.run(l, "", append(append([]string(nil), l.Command...), args...))
	}
	for _, h := range pr.hosts {
		if h == nil {
			continue
		}
		args, err := pr.proxyArgs(l, h.index)
		if err != nil {
			return err
		}
		// Like ssh, a per-host launcher hands the command to the remote
		// shell as one line: quote what the shell would change.
		argv := append(append([]string(nil), l.Command...), h.name)
		for _, a := range args {
			argv = append(argv, shellQuote(a))
		}
		if err := pr.run(l, h.name, argv); err != nil {
			return err
		}
	}
	return nil
}

// run starts one launcher process and watches it: if it ends before its
// proxies have connected, they never will.
func (pr *proxyRoot) run(l RemoteLauncher, host string, argv []string) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("launcher %s: %w", argv[0], err)
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Stdout: pr.s.stderr, Stderr: pr.s.stderr,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}}
	if l.Cookie == "env" {
		cmd.Env = append(os.Environ(), "SPMD_COOKIE="+pr.s.cookie)
	}
	var w *os.File
	if l.Cookie == "stdin" {
		r, pw, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("launcher stdin: %w", err)
		}
		defer r.Close()
		cmd.Stdin, w = r, pw
	}
	if err := cmd.Start(); err != nil {
		if w != nil {
			w.Close()
		}
		return fmt.Errorf("starting %s: %w", argv[0], err)
	}
	if w != nil {
		// The pipe holds far more than one line; the write cannot block.
		if _, err := w.WriteString(pr.s.cookie + "\n"); err != nil {
			pr.s.logf("writing the cookie to %s: %v", argv[0], err)
		}
		pr.stdinW = append(pr.stdinW, w)
	}
	pr.launch = append(pr.launch, cmd)
	end := make(chan struct{})
	pr.launchEnd = append(pr.launchEnd, end)
	pr.s.logf("started %s (pid %d)", strings.Join(argv, " "), cmd.Process.Pid)
	go func() {
		err := cmd.Wait()
		close(end)
		pr.s.post(event{kind: evLauncherExit, msg: host, code: exitCodeOf(cmd.ProcessState, err), at: time.Now()})
	}()
	return nil
}

// exitCodeOf is a finished command's exit code, 128+n for a signal.
func exitCodeOf(ps *os.ProcessState, err error) int {
	es := statusOf(ps)
	switch {
	case !es.known && err != nil:
		return ExitInternal
	case es.signal != 0:
		return signalExitCode(es.signal)
	}
	return es.code
}

// writeCookieFile writes the cookie to a new file that only the user can
// read, in the home directory (which the hosts of a batch job share).
func writeCookieFile(cookie string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	dir := filepath.Join(home, ".spmd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	f, err := os.CreateTemp(dir, "cookie-")
	if err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	if _, err := f.WriteString(cookie + "\n"); err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	return f.Name(), nil
}

// shellQuote quotes s for a POSIX shell, unless it needs none.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:,=@%+", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
