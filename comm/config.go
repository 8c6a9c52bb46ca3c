package comm

import (
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config tunes the runtime. The zero value takes every default; Init reads
// it from the environment (ConfigFromEnv).
type Config struct {
	// EagerLimit is the largest message sent at once rather than by
	// rendezvous (SPMD_EAGER_LIMIT, bytes; default 64 KiB, Open MPI's TCP
	// eager limit).
	EagerLimit int
	// EagerWindow bounds the unexpected eager bytes one peer may have
	// buffered at this rank (SPMD_EAGER_WINDOW, bytes; default 4 MiB);
	// beyond it senders fall back to rendezvous until credit returns.
	EagerWindow int
	// Transport forces how peers are reached (SPMD_TRANSPORT): "auto" (the
	// default) or "tcp". Shared memory is not built yet, so both mean TCP
	// between ranks; a rank always reaches itself through memory.
	Transport string
	// ListenAddr is the host or IP to listen on and publish
	// (SPMD_TCP_ADDR); default: all interfaces, published as this host's
	// addresses.
	ListenAddr string
	// ConnectTimeout bounds wire-up (SPMD_CONNECT_TIMEOUT; default 60s).
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
}

// Defaults.
const (
	DefaultEagerLimit     = 64 << 10
	DefaultEagerWindow    = 4 << 20
	DefaultConnectTimeout = 60 * time.Second
)

// ConfigFromEnv reads the SPMD_* variables into a Config.
func ConfigFromEnv() (Config, error) {
	var c Config
	var err error
	if c.EagerLimit, err = envBytes("SPMD_EAGER_LIMIT"); err != nil {
		return c, err
	}
	if c.EagerWindow, err = envBytes("SPMD_EAGER_WINDOW"); err != nil {
		return c, err
	}
	c.Transport = os.Getenv("SPMD_TRANSPORT")
	c.ListenAddr = os.Getenv("SPMD_TCP_ADDR")
	if s := os.Getenv("SPMD_CONNECT_TIMEOUT"); s != "" {
		if c.ConnectTimeout, err = time.ParseDuration(s); err != nil {
			return c, fmt.Errorf("comm: SPMD_CONNECT_TIMEOUT=%q: %w", s, err)
		}
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
	if c.EagerWindow < c.EagerLimit+messageOverhead {
		return c, fmt.Errorf("comm: eager window %d is smaller than one eager message (%d + %d): %w",
			c.EagerWindow, c.EagerLimit, messageOverhead, ErrArg)
	}
	switch c.Transport {
	case "":
		c.Transport = "auto"
	case "auto", "tcp":
	case "shm":
		return c, fmt.Errorf("comm: SPMD_TRANSPORT=shm: the shared-memory transport is not built yet (use auto or tcp): %w", ErrArg)
	default:
		return c, fmt.Errorf("comm: SPMD_TRANSPORT=%q: want auto or tcp: %w", c.Transport, ErrArg)
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Logf == nil {
		c.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	if c.Exit == nil {
		c.Exit = os.Exit
	}
	return c, nil
}
