package comm

import (
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spmd-go/spmd/comm/internal/squeeze"
)

// Config tunes the runtime. The zero value takes every default; Init reads
// it from the environment (ConfigFromEnv).
type Config struct {
	// EagerLimit is the largest message sent at once rather than by
	// rendezvous (SPMD_EAGER_LIMIT, bytes; default 64 KiB, Open MPI's TCP
	// eager limit).
	EagerLimit int
	// ShmEagerLimit replaces EagerLimit between ranks on one host that can
	// copy from each other's memory (SPMD_SHM_EAGER_LIMIT): above it one
	// process_vm_readv copy beats two copies through the ring. By default
	// it is an eighth of the ring (ShmRingSize), between 4 KiB and 32 KiB,
	// and at most EagerLimit: 32 KiB with the rings of up to 16 ranks per
	// host (chosen in bench/results/2026-12-06-sysmon).
	ShmEagerLimit int
	// EagerWindow bounds the unexpected eager bytes one peer may have
	// buffered at this rank (SPMD_EAGER_WINDOW, bytes; default 4 MiB);
	// beyond it senders fall back to rendezvous until credit returns.
	EagerWindow int
	// Transport forces how peers are reached (SPMD_TRANSPORT); the zero
	// value means TransportAuto.
	Transport Transport
	// ShmRingSize is the size of each shared-memory ring in bytes, a power
	// of two (SPMD_SHM_RING). By default it follows the number of ranks on
	// the host, n: the largest power of two within 64 MiB / n², between
	// 16 KiB and 256 KiB, so that up to 16 ranks get 256 KiB rings and the
	// rings of all pairs of a full host stay within 64 MiB down to that
	// floor (each pair maps its two rings only once it talks).
	ShmRingSize int
	// LocalRanks is how many ranks of the job run on this host
	// (SPMD_LOCAL_SIZE or MPI_LOCALNRANKS, which spmdrun and MPICH's
	// mpiexec set). When zero, Init counts them from the business cards,
	// which costs a key-value read per rank.
	LocalRanks int
	// NoCMA turns off cross-memory attach (SPMD_SHM_CMA=off): large
	// messages between ranks on one host then move in chunks through the
	// ring, two copies instead of one.
	NoCMA bool
	// NoShare makes the receiver of a large message from a rank on this
	// host copy all of it out of the sender's memory itself
	// (SPMD_SHM_CMA=pull). By default a sender waiting for such a send
	// copies half of the message into the receiver's memory meanwhile,
	// when each may reach the other's memory and the host has a core for
	// every rank.
	NoShare bool
	// Host is the host name this rank publishes (SPMD_HOST; default
	// os.Hostname). Ranks that publish the same name on the same kernel use
	// shared memory; tests give ranks different names to force TCP between
	// some of them.
	Host string
	// ListenAddr is the host or IP to listen on and publish
	// (SPMD_TCP_ADDR); default: all interfaces, published as this host's
	// addresses.
	ListenAddr string
	// Compress compresses the data of messages above the eager limit on
	// TCP links (SPMD_COMPRESS): "s2" or "zstd", from klauspost/compress,
	// or "off", the default. It pays where the wire is slower than the
	// compressor, on compressible data; data that does not shrink is soon
	// sent as it is (see package comm's doc, "Compression").
	Compress string
	// ConnectTimeout bounds the making of each link, made when a rank
	// first talks to a peer: the dial, or the wait for the peer's own
	// (SPMD_CONNECT_TIMEOUT; default 60s). A peer not reached within it is
	// lost.
	ConnectTimeout time.Duration
	// Cookie is the job's shared secret (SPMD_COOKIE, hex). When empty, rank
	// 0 makes one and shares it through the bootstrap's key-value space.
	Cookie []byte
	// Logf reports events that are not errors of any call, such as a
	// rejected connection. Default: standard error.
	Logf func(format string, args ...any)
	// Exit ends the process after Abort has told the launcher. Default
	// os.Exit; in-process clusters (commtest) replace it.
	Exit func(code int)
	// Sysmon says whether Init moves the Go runtime's monitor thread to
	// Linux's idle scheduling class, where it runs only on a core that
	// has nothing else to do (SPMD_SYSMON): "auto", the default, does it
	// when the host has a core for each of its ranks; "idle" always;
	// "normal" never. Without it, a rank that turns busy has its core
	// taken by the monitor's wake-ups for the first milliseconds, which
	// delays every peer waiting for its answer (see "Inside" in the
	// package doc).
	Sysmon string
	// Profile turns on the profile and the trace (SPMD_PROFILE, SPMD_TRACE
	// and related variables); off by default.
	Profile ProfileConfig
}

// Transport names how a rank reaches its peers (Config.Transport,
// SPMD_TRANSPORT). A rank always reaches itself through memory.
type Transport string

// Transports.
const (
	// TransportAuto, the default: shared memory with ranks on this host,
	// TCP with the others.
	TransportAuto Transport = "auto"
	// TransportShm is TransportAuto, except that failing to set up shared
	// memory with a peer on this host is an error rather than a fall-back
	// to TCP.
	TransportShm Transport = "shm"
	// TransportTCP: TCP with every peer.
	TransportTCP Transport = "tcp"
)

// Defaults.
const (
	DefaultEagerLimit     = 64 << 10
	DefaultEagerWindow    = 4 << 20
	DefaultConnectTimeout = 60 * time.Second
	DefaultShmRingSize    = 256 << 10 // the largest ring chosen by default; see Config.ShmRingSize
	MinShmRingSize        = 16 << 10  // the smallest ring chosen by default
	DefaultShmEagerLimit  = 32 << 10  // the largest chosen by default; see Config.ShmEagerLimit
	MinShmEagerLimit      = 4 << 10   // the smallest chosen by default
)

// ConfigFromEnv reads the SPMD_* variables into a Config.
func ConfigFromEnv() (Config, error) {
	var c Config
	var err error
	if c.EagerLimit, err = envBytes("SPMD_EAGER_LIMIT"); err != nil {
		return c, err
	}
	if c.ShmEagerLimit, err = envBytes("SPMD_SHM_EAGER_LIMIT"); err != nil {
		return c, err
	}
	if c.EagerWindow, err = envBytes("SPMD_EAGER_WINDOW"); err != nil {
		return c, err
	}
	c.Transport = Transport(os.Getenv("SPMD_TRANSPORT"))
	c.Host = os.Getenv("SPMD_HOST")
	switch v := os.Getenv("SPMD_SHM_CMA"); v {
	case "", "on", "1":
	case "off", "0":
		c.NoCMA = true
	case "pull":
		c.NoShare = true
	default:
		return c, fmt.Errorf("comm: SPMD_SHM_CMA=%q: want on, pull or off: %w", v, ErrArg)
	}
	if c.ShmRingSize, err = envBytes("SPMD_SHM_RING"); err != nil {
		return c, err
	}
	for _, v := range []string{"SPMD_LOCAL_SIZE", "MPI_LOCALNRANKS"} {
		if s := os.Getenv(v); s != "" {
			if c.LocalRanks, err = strconv.Atoi(s); err != nil || c.LocalRanks < 1 {
				return c, fmt.Errorf("comm: %s=%q is not a positive count: %w", v, s, ErrArg)
			}
			break
		}
	}
	c.Sysmon = os.Getenv("SPMD_SYSMON")
	c.ListenAddr = os.Getenv("SPMD_TCP_ADDR")
	c.Compress = os.Getenv("SPMD_COMPRESS")
	if s := os.Getenv("SPMD_CONNECT_TIMEOUT"); s != "" {
		if c.ConnectTimeout, err = time.ParseDuration(s); err != nil {
			return c, fmt.Errorf("comm: SPMD_CONNECT_TIMEOUT=%q: %w", s, err)
		}
	}
	if c.Profile, err = profileFromEnv(); err != nil {
		return c, err
	}
	if s := os.Getenv("SPMD_COOKIE"); s != "" {
		if c.Cookie, err = hex.DecodeString(s); err != nil || len(c.Cookie) < 16 {
			return c, fmt.Errorf("comm: SPMD_COOKIE must be at least 32 hex digits: %w", ErrArg)
		}
	}
	return c, nil
}

func envBytes(name string) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("comm: %s=%q is not a byte count: %w", name, s, ErrArg)
	}
	return n, nil
}

// withDefaults fills in zero fields and checks consistency.
func (c Config) withDefaults() (Config, error) {
	if c.EagerLimit == 0 {
		c.EagerLimit = DefaultEagerLimit
	}
	if c.EagerWindow == 0 {
		c.EagerWindow = max(DefaultEagerWindow, 4*(c.EagerLimit+messageOverhead))
	}
	if c.EagerWindow < max(c.EagerLimit, c.ShmEagerLimit)+messageOverhead {
		return c, fmt.Errorf("comm: eager window %d is smaller than one eager message (%d + %d): %w",
			c.EagerWindow, c.EagerLimit, messageOverhead, ErrArg)
	}
	switch c.Transport {
	case "":
		c.Transport = TransportAuto
	case TransportAuto, TransportTCP, TransportShm:
	default:
		return c, fmt.Errorf("comm: SPMD_TRANSPORT=%q: want auto, shm or tcp: %w", c.Transport, ErrArg)
	}
	if c.ShmRingSize != 0 && (c.ShmRingSize < 4096 || c.ShmRingSize&(c.ShmRingSize-1) != 0) {
		return c, fmt.Errorf("comm: shared-memory ring of %d bytes: want a power of two ≥ 4096: %w", c.ShmRingSize, ErrArg)
	}
	if _, err := squeeze.ParseMethod(c.Compress); err != nil {
		return c, fmt.Errorf("comm: SPMD_COMPRESS=%q: want s2, zstd or off: %w", c.Compress, ErrArg)
	}
	switch c.Sysmon {
	case "":
		c.Sysmon = "auto"
	case "auto", "idle", "normal":
	default:
		return c, fmt.Errorf("comm: SPMD_SYSMON=%q: want auto, idle or normal: %w", c.Sysmon, ErrArg)
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.LocalRanks < 0 {
		return c, fmt.Errorf("comm: %d local ranks: %w", c.LocalRanks, ErrArg)
	}
	if c.Logf == nil {
		c.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	if c.Exit == nil {
		c.Exit = os.Exit
	}
	return c, nil
}

// shmRingBudget bounds the ring memory of all pairs on a host when the
// ring size is chosen from the number of local ranks (ringSizeFor).
const shmRingBudget = 64 << 20

// shmEagerFor chooses the eager limit between ranks on one host whose
// rings hold ring bytes (Config.ShmEagerLimit).
func shmEagerFor(ring, eagerLimit int) int {
	return min(eagerLimit, max(MinShmEagerLimit, min(DefaultShmEagerLimit, ring/8)))
}

// ringSizeFor chooses the ring size for a host with local ranks: the
// largest power of two within shmRingBudget / local², clamped to
// [MinShmRingSize, DefaultShmRingSize].
func ringSizeFor(local int) int {
	size := DefaultShmRingSize
	for size > MinShmRingSize && size*local*local > shmRingBudget {
		size /= 2
	}
	return size
}
