package comm

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/sysmon"
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
	c.w.quietSysmon()
	return c, nil
}

// quietSysmon moves the Go runtime's monitor thread to the idle
// scheduling class as Config.Sysmon says (package sysmon tells why). A
// failure only matters to speed: "auto" passes over it in silence (a
// container may forbid the call), "idle", asked for, logs it.
func (w *world) quietSysmon() {
	switch w.cfg.Sysmon {
	case "normal":
		return
	case "auto":
		if w.size == 1 || w.oversubscribed {
			return
		}
	}
	if _, err := sysmon.Idle(); err != nil && w.cfg.Sysmon == "idle" && !errors.Is(err, errors.ErrUnsupported) {
		w.logf("comm: rank %d: SPMD_SYSMON=idle: %v", w.rank, err)
	}
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

// Join joins a job through boot: the rank publishes its business card (how
// to reach it) and fences once. It opens no connection: each link to a
// peer is made when the rank first has a message for it, or the peer for
// the rank, so a program that talks to a few neighbours holds a few
// connections, whatever the size of the job. It returns the world
// communicator.
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
		peers:  make([]peerSlot, size),
		limits: wire.Limits{MaxEager: uint64(cfg.EagerWindow), MaxMessage: maxMessage},
		logf:   cfg.Logf,
		joined: make(chan struct{}),
	}
	for i := range w.peers {
		w.peers[i].ready = make(chan struct{})
	}
	w.active.Store(&[]*link{})
	w.rdv.init()
	w.ctxs.init()
	if err := w.startProfile(); err != nil {
		return nil, err
	}
	w.serveDiagnostics()
	w.localRanks, w.ringSize = 1, cfg.ShmRingSize
	w.watchNotifications()
	if size > 1 {
		if err := w.connect(); err != nil {
			close(w.joined)
			w.closeLinks(true)
			return nil, err
		}
	}
	if w.ringSize == 0 {
		w.ringSize = ringSizeFor(w.localRanks)
	}
	if w.cfg.ShmEagerLimit == 0 {
		// Before joined: accepted links read it once joined is closed.
		w.cfg.ShmEagerLimit = shmEagerFor(w.ringSize, w.cfg.EagerLimit)
	}
	sr, sw, err := shm.Pipe(w.ringSize)
	if err == nil {
		err = w.install(rank, newLink(w, rank, sr, sw, pipeCloser{sr, sw}, sw.Close), nil)
	}
	close(w.joined)
	if err != nil {
		w.closeLinks(true)
		return nil, fmt.Errorf("comm: rank %d: link to itself: %w", rank, err)
	}
	group := make([]int, size)
	for i := range group {
		group[i] = i
	}
	w.profileInitDone()
	w.markInit()
	return w.newComm(worldContext, group, rank), nil
}

// closeLinks drops every link at once, and the listener too when
// listener is set, as a failed Join or (without the listener, which may
// wait for a handshake) Abort must.
func (w *world) closeLinks(listener bool) {
	w.linkMu.Lock()
	w.linksClosed = true // a connection the listener is taking now is dropped
	w.linkMu.Unlock()
	if listener && w.listener != nil {
		w.listener.Close()
	}
	for _, l := range w.links() {
		l.closing.Store(true)
		l.conn.Close()
	}
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

// connect gets the job's cookie, listens, publishes this rank's card and
// fences. It then learns how many ranks share this host: from the
// launcher (Config.LocalRanks), else by reading every card, which costs a
// key-value read per rank. That number sizes the shared-memory rings and
// says whether the host is oversubscribed.
func (w *world) connect() error {
	cookie, err := w.shareCookie()
	if err != nil {
		return err
	}
	w.cookie, w.shmPrefix = cookie, jobnames.ShmPrefix(cookie)
	listenHost := w.cfg.ListenAddr
	ln, err := tcp.Listen(net.JoinHostPort(listenHost, "0"), cookie, w.rank, w.size, w.accepted, w.logf)
	if err != nil {
		return fmt.Errorf("comm: rank %d: %w", w.rank, err)
	}
	ln.SetHandshakeTimeout(w.cfg.ConnectTimeout)
	w.listener = ln
	host := w.cfg.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	w.me = card{host: host, port: ln.Addr().Port, pid: os.Getpid(), boot: bootID()}
	if listenHost != "" {
		w.me.addrs = []string{listenHost}
	} else {
		w.me.addrs = hostAddrs()
	}
	if err := w.boot.Put(jobnames.CardKey(w.rank), w.me.String()); err != nil {
		return fmt.Errorf("comm: rank %d: publish business card: %w", w.rank, err)
	}
	if err := w.boot.Fence(); err != nil {
		return fmt.Errorf("comm: rank %d: fence: %w", w.rank, err)
	}
	w.localRanks = w.cfg.LocalRanks
	if w.localRanks == 0 {
		w.localRanks = 1
		for peer := range w.size {
			if peer == w.rank {
				continue
			}
			pc, err := w.cardOf(peer)
			if err != nil {
				return fmt.Errorf("comm: rank %d: %w", w.rank, err)
			}
			if pc.sameHost(w.me) {
				w.localRanks++
			}
		}
	}
	w.oversubscribed = w.localRanks > hostCPUs()
	return nil
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
