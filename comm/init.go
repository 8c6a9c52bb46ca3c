package comm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/tcp"
	"github.com/spmd-go/spmd/comm/internal/wire"
	"github.com/spmd-go/spmd/internal/jobnames"
)

// maxMessage bounds a single message's length as announced by a peer.
const maxMessage = 1 << 46

// Init joins the job that the environment describes and returns the world
// communicator: PMI when launched by spmdrun, MPICH's mpiexec or srun
// --mpi=pmi2 (PMI_FD or PMI_PORT; PMI-1, or PMI-2 per SPMD_PMI), a
// key-value server of rank 0's in a Slurm step without PMI, otherwise a
// world of one rank. Settings come from SPMD_*
// variables (see ConfigFromEnv). Call Finalize before exiting.
func Init() (*Comm, error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	shareCores()
	boot, err := bootstrapFromEnv()
	if err != nil {
		return nil, err
	}
	c, err := Join(boot, cfg)
	if err != nil {
		// Tell the launcher, so that the other ranks do not wait for us.
		_ = boot.Abort(1, "comm.Init failed")
		return nil, err
	}
	return c, nil
}

// shareCores gives this rank its share of the host's cores, as an MPI
// launcher binds ranks: GOMAXPROCS = cores / ranks on this host (at least
// 1), unless the user set GOMAXPROCS. Otherwise every rank of a full host
// runs as many busy threads as there are cores, and ranks that wait for
// each other fight over them. The launcher says how many ranks share the
// host (SPMD_LOCAL_SIZE, or MPICH's MPI_LOCALNRANKS).
func shareCores() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	for _, v := range []string{"SPMD_LOCAL_SIZE", "MPI_LOCALNRANKS"} {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n > 1 {
			runtime.GOMAXPROCS(max(1, min(runtime.NumCPU(), hostCPUs()/n)))
			return
		}
	}
}

// hostCPUs returns how many CPUs this host gives the job: what a launcher
// that binds each rank to one CPU says in SPMD_HOST_CPUS (spmdrun
// --bind-to core; the rank itself then sees one), else runtime.NumCPU().
func hostCPUs() int {
	if n, err := strconv.Atoi(os.Getenv("SPMD_HOST_CPUS")); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// Join wires up a job through boot: every rank publishes a business card
// (how to reach it), fences, and connects to the others. It returns the
// world communicator.
func Join(boot Bootstrap, cfg Config) (*Comm, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rank, size := boot.Rank(), boot.Size()
	if size < 1 || rank < 0 || rank >= size {
		return nil, fmt.Errorf("comm: bootstrap gives rank %d of %d: %w", rank, size, ErrRank)
	}
	w := &world{
		rank: rank, size: size, cfg: cfg, boot: boot,
		eng:    match.New(),
		links:  make([]*link, size),
		limits: wire.Limits{MaxEager: uint64(cfg.EagerWindow), MaxMessage: maxMessage},
		logf:   cfg.Logf,
	}
	w.rdv.init()
	w.ctxs.init()
	sr, sw, err := shm.Pipe(cfg.ShmRingSize)
	if err != nil {
		return nil, fmt.Errorf("comm: rank %d: link to itself: %w", rank, err)
	}
	w.links[rank] = newLink(w, rank, sr, sw, pipeCloser{sr, sw}, sw.Close)
	w.serveDiagnostics()
	w.watchNotifications()
	if size > 1 {
		if err := w.connect(); err != nil {
			for _, l := range w.links {
				if l != nil {
					l.conn.Close()
				}
			}
			return nil, err
		}
	}
	for _, l := range w.links {
		l.start()
	}
	group := make([]int, size)
	for i := range group {
		group[i] = i
	}
	w.markInit()
	return w.newComm(worldContext, group, rank), nil
}

// pipeCloser ends the link of a rank to itself.
type pipeCloser struct {
	r *shm.Reader
	w *shm.Writer
}

func (p pipeCloser) Close() error {
	p.r.Kill()
	p.w.Kill()
	return nil
}

// card is a rank's business card in the bootstrap's key-value space:
// "host|port|addr,addr|pid|boot", all printable and space-free as PMI
// requires. Two ranks share a host (and may use shared memory) when host
// and boot (the kernel's boot id) both match.
type card struct {
	host  string
	port  int
	addrs []string
	pid   int
	boot  string
}

func (c card) String() string {
	return fmt.Sprintf("%s|%d|%s|%d|%s", c.host, c.port, strings.Join(c.addrs, ","), c.pid, c.boot)
}

// sameHost reports whether two cards describe ranks on one machine.
func (c card) sameHost(o card) bool { return c.host == o.host && c.boot == o.boot }

func parseCard(s string) (card, error) {
	f := strings.Split(s, "|")
	if len(f) != 5 {
		return card{}, fmt.Errorf("malformed business card %q", s)
	}
	port, err1 := strconv.Atoi(f[1])
	pid, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil || port <= 0 || port > 65535 {
		return card{}, fmt.Errorf("malformed business card %q", s)
	}
	c := card{host: f[0], port: port, pid: pid, boot: f[4]}
	if f[2] != "" {
		c.addrs = strings.Split(f[2], ",")
	}
	return c, nil
}

// connect exchanges cards and opens one authenticated TCP connection per
// peer: each rank dials the higher ranks and accepts the lower ones.
func (w *world) connect() error {
	cookie, err := w.shareCookie()
	if err != nil {
		return err
	}
	arrived := make([]chan *net.TCPConn, w.size)
	for i := range arrived {
		arrived[i] = make(chan *net.TCPConn, 1)
	}
	listenHost := w.cfg.ListenAddr
	ln, err := tcp.Listen(net.JoinHostPort(listenHost, "0"), cookie, w.rank, w.size, func(peer int, c *net.TCPConn) {
		select {
		case arrived[peer] <- c:
		default:
			w.logf("comm: rank %d: dropped a second connection from rank %d", w.rank, peer)
			c.Close()
		}
	}, w.logf)
	if err != nil {
		return fmt.Errorf("comm: rank %d: %w", w.rank, err)
	}
	w.listener = ln
	host := w.cfg.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	me := card{host: host, port: ln.Addr().Port, pid: os.Getpid(), boot: bootID()}
	if listenHost != "" {
		me.addrs = []string{listenHost}
	} else {
		me.addrs = hostAddrs()
	}
	if err := w.boot.Put(jobnames.CardKey(w.rank), me.String()); err != nil {
		return fmt.Errorf("comm: rank %d: publish business card: %w", w.rank, err)
	}
	if err := w.boot.Fence(); err != nil {
		return fmt.Errorf("comm: rank %d: fence: %w", w.rank, err)
	}
	cards := make([]card, w.size)
	for peer := range w.size {
		if peer == w.rank {
			cards[peer] = me
			continue
		}
		s, err := w.boot.Get(jobnames.CardKey(peer))
		if err != nil {
			return fmt.Errorf("comm: rank %d: business card of rank %d: %w", w.rank, peer, err)
		}
		if cards[peer], err = parseCard(s); err != nil {
			return fmt.Errorf("comm: rank %d: rank %d: %w", w.rank, peer, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.ConnectTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, w.size)
	conns := make([]*net.TCPConn, w.size)
	for peer := range w.size {
		if peer == w.rank {
			continue
		}
		pc := cards[peer]
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := w.reach(ctx, peer, pc, me, cookie, arrived[peer])
			if err != nil {
				errs[peer] = err
				cancel()
				return
			}
			conns[peer] = c
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		ln.Close()
		closeAll(conns)
		return fmt.Errorf("comm: rank %d: wire-up: %w", w.rank, err)
	}
	shmPeers, err := w.setupShm(cards, cookie)
	if err != nil {
		ln.Close()
		closeAll(conns)
		return fmt.Errorf("comm: rank %d: shared memory: %w", w.rank, err)
	}
	for peer, c := range conns {
		switch {
		case peer == w.rank:
		case shmPeers[peer] != nil:
			w.links[peer] = newShmLink(w, peer, shmPeers[peer], c)
		default:
			src, err := newTCPSource(c)
			if err != nil {
				closeAll(conns)
				return err
			}
			w.links[peer] = newLink(w, peer, src, c, c, c.CloseWrite)
		}
	}
	return nil
}

func closeAll(conns []*net.TCPConn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// bootID identifies the running kernel: with the host name it tells
// whether two ranks share a machine, and so its /dev/shm.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "-"
	}
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "-", "")
}

// reach dials a higher peer or waits for a lower one to dial.
func (w *world) reach(ctx context.Context, peer int, pc, me card, cookie []byte, arrived <-chan *net.TCPConn) (*net.TCPConn, error) {
	if peer < w.rank {
		select {
		case c := <-arrived:
			return c, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("rank %d (pid %d on %s) never connected: %w", peer, pc.pid, pc.host, ctx.Err())
		}
	}
	addrs := pc.addrs
	if pc.sameHost(me) {
		addrs = []string{"127.0.0.1"}
	}
	var errs []error
	for _, a := range addrs {
		c, err := tcp.Dial(ctx, net.JoinHostPort(a, strconv.Itoa(pc.port)), cookie, w.rank, peer)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("cannot reach rank %d (pid %d on %s): %w", peer, pc.pid, pc.host, errors.Join(errs...))
}

// shareCookie returns the job's cookie: from the configuration (spmdrun
// passes one in SPMD_COOKIE), or made by rank 0 and read by the others
// through the key-value space, which costs one more fence.
func (w *world) shareCookie() ([]byte, error) {
	if len(w.cfg.Cookie) > 0 {
		return w.cfg.Cookie, nil
	}
	const key = jobnames.CookieKey
	if w.rank == 0 {
		cookie := make([]byte, 32)
		if _, err := rand.Read(cookie); err != nil {
			return nil, err
		}
		if err := w.boot.Put(key, hex.EncodeToString(cookie)); err != nil {
			return nil, fmt.Errorf("comm: publish job cookie: %w", err)
		}
	}
	if err := w.boot.Fence(); err != nil {
		return nil, fmt.Errorf("comm: rank %d: fence: %w", w.rank, err)
	}
	s, err := w.boot.Get(key)
	if err != nil {
		return nil, fmt.Errorf("comm: rank %d: job cookie: %w", w.rank, err)
	}
	return hex.DecodeString(s)
}

// hostAddrs lists this host's non-loopback IP addresses, then loopback.
func hostAddrs() []string {
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return []string{"127.0.0.1"}
	}
	var out []string
	for _, a := range ifaddrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			out = append(out, ipn.IP.String())
		}
	}
	return append(out, "127.0.0.1")
}
