package launcher

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"
	"time"
)

// rankProc is a started rank as the supervisor sees it, wherever it runs.
type rankProc interface {
	// processID is the rank's process id on its host, or 0 if not known yet.
	processID() int
	// askReport sends the rank itself SIGUSR1; done reports whether the
	// process was known to have ended already.
	askReport() (done bool, err error)
}

func (r *localRank) processID() int { return r.pid }

func (r *localRank) askReport() (bool, error) {
	// Process.Signal, unlike kill(2) on the pid, cannot reach another
	// process once the rank has been reaped.
	err := r.cmd.Process.Signal(syscall.SIGUSR1)
	if errors.Is(err, os.ErrProcessDone) {
		return true, nil
	}
	return false, err
}

func (r *remoteRank) processID() int { return r.pid() }

func (r *remoteRank) askReport() (bool, error) {
	if !r.host.send(frSignal, (&signalMsg{Signal: int(syscall.SIGUSR1), Ranks: []int{r.rank}}).encode()) {
		return false, fmt.Errorf("rank %d: host %s is not connected", r.rank, r.host.name)
	}
	return false, nil
}

// spawnRemote starts the proxies of the remote hosts, counting their ranks
// as running from now on: each ends with its exit report or its host's
// loss.
func (s *supervisor) spawnRemote() {
	pr := s.proxies
	for _, h := range pr.hosts {
		if h == nil {
			continue
		}
		for _, rank := range h.ranks {
			s.procs[rank] = &remoteRank{rank: rank, host: h}
			s.running++
			h.out[rank] = &[2]io.Writer{s.outWriter(s.stdout, rank, 0), s.outWriter(s.stderr, rank, 1)}
			h.ended[rank] = &[2]bool{}
			s.output.Add(2)
		}
	}
	limit := s.job.ConnectTimeout
	if limit <= 0 {
		limit = DefaultConnectTimeout
	}
	s.connectT = s.clock.NewTimer(limit)
	if err := pr.start(); err != nil {
		s.fail(&Failure{Kind: Internal, Rank: -1, Code: ExitInternal, Err: err})
	}
}

// handleRemote handles the events of proxies and their launchers.
func (s *supervisor) handleRemote(e event) {
	pr := s.proxies
	switch e.kind {
	case evStarted:
		r := s.procs[e.rank].(*remoteRank)
		r.pidv.Store(int64(e.pid))
		s.logf("rank %d started on %s, pid %d", e.rank, r.host.name, e.pid)
		if s.job.Started != nil {
			s.job.Started(e.rank, e.pid)
		}
	case evHostConnected:
		pr.connected++
		h := pr.hosts[e.rank]
		s.logf("proxy for %s connected", h.name)
		if s.job.Stdin != nil && slices.Contains(h.ranks, 0) {
			go pr.forwardStdin(h, s.job.Stdin)
		}
		if s.terminating {
			h.send(frSignal, (&signalMsg{Signal: int(syscall.SIGKILL)}).encode())
		}
		if pr.connected == pr.count() && s.connectT != nil {
			s.connectT.Stop()
			s.connectT = nil
		}
	case evHostLost:
		s.hostLost(pr.hosts[e.rank], e.msg, e.at)
	case evLauncherExit:
		s.launcherExit(e.msg, e.code, e.at)
	}
}

// hostLost ends the ranks of a host whose proxy is gone: those not yet
// reported as ended fail the job, unless it is already ending.
func (s *supervisor) hostLost(h *remoteHost, why string, at time.Time) {
	h.wmu.Lock()
	never := h.conn == nil && !h.lost
	h.lost = true
	h.wmu.Unlock()
	if never {
		// No proxy will send these ranks' output or end their streams.
		for _, rank := range h.ranks {
			for stream := range 2 {
				s.proxies.endOutput(h, rank, stream)
			}
		}
	}
	var left []int
	for _, rank := range h.ranks {
		if !s.exited[rank] {
			left = append(left, rank)
			s.exited[rank] = true
			s.running--
			s.pmi[rank].markClosed(at)
			_ = s.srv.Leave(rank)
			s.diagExit(rank)
		}
	}
	if len(left) == 0 {
		return
	}
	s.logf("host %s lost (%s) with ranks %v", h.name, why, left)
	for _, rank := range left {
		s.notifyLost(rank, fmt.Sprintf("its host %s was lost: %s", h.name, why))
	}
	if !s.terminating && !s.timedOut {
		s.hold(&Failure{Kind: HostLost, Rank: left[0], Code: ExitHostLost, Host: h.name,
			Message: fmt.Sprintf("%s; ranks %s", why, rankList(left))}, at)
	}
}

// launcherExit handles the end of a process that starts proxies: before
// its proxies connected, it means they never will.
func (s *supervisor) launcherExit(host string, code int, at time.Time) {
	pr := s.proxies
	for _, h := range pr.hosts {
		if h == nil || host != "" && h.name != host {
			continue
		}
		h.wmu.Lock()
		connected := h.conn != nil
		h.wmu.Unlock()
		if !connected {
			s.hostLost(h, fmt.Sprintf("the command starting its proxy exited with code %d before the proxy connected", code), at)
		}
	}
}

// onConnectTimeout fails the job when a proxy has not connected in time.
func (s *supervisor) onConnectTimeout() {
	for _, h := range s.proxies.hosts {
		if h == nil {
			continue
		}
		h.wmu.Lock()
		connected := h.conn != nil
		h.wmu.Unlock()
		if !connected {
			limit := s.job.ConnectTimeout
			if limit <= 0 {
				limit = DefaultConnectTimeout
			}
			s.hostLost(h, fmt.Sprintf("its proxy did not connect within %v", limit), s.clock.Now())
		}
	}
}

// signalRemote sends sig to every rank on every remote host.
func (s *supervisor) signalRemote(sig syscall.Signal) {
	if s.proxies == nil {
		return
	}
	for _, h := range s.proxies.hosts {
		if h != nil {
			h.send(frSignal, (&signalMsg{Signal: int(sig)}).encode())
		}
	}
}

// hostOf names the host of rank in jobs that span hosts; "" otherwise.
func (s *supervisor) hostOf(rank int) string {
	m := s.job.placement()
	if s.proxies == nil || rank < 0 || rank >= len(m.Node) {
		return ""
	}
	return m.Hosts[m.Node[rank]]
}

// count is the number of remote hosts.
func (pr *proxyRoot) count() int {
	n := 0
	for _, h := range pr.hosts {
		if h != nil {
			n++
		}
	}
	return n
}

// rankList writes ranks compactly: "2", "2,5", "2-4".
func rankList(ranks []int) string {
	var b []byte
	for i := 0; i < len(ranks); {
		j := i
		for j+1 < len(ranks) && ranks[j+1] == ranks[j]+1 {
			j++
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%d", ranks[i])
		if j > i {
			b = fmt.Appendf(b, "-%d", ranks[j])
		}
		i = j + 1
	}
	return string(b)
}
