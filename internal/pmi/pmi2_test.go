package pmi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frame2 returns body with a Slurm-style length field.
func frame2(body string) []byte {
	return []byte(fmt.Sprintf("%-6d%s", len(body), body))
}

func TestReadFrameLengthStyles(t *testing.T) {
	for name, in := range map[string]string{
		"MPICH %6u":  "    20cmd=x-response;rc=0;",
		"Slurm %-6d": "20    cmd=x-response;rc=0;",
		"both sides": "  20  cmd=x-response;rc=0;",
		"no padding": "000020cmd=x-response;rc=0;",
	} {
		t.Run(name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(in + "trailing"))
			p, err := readFrame(br, MaxFrameLen)
			require.NoError(t, err)
			assert.Equal(t, "cmd=x-response;rc=0;", string(p))
			rest, _ := io.ReadAll(br)
			assert.Equal(t, "trailing", string(rest), "read past the frame")
		})
	}
}

func TestReadFrameErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want error
	}{
		"empty stream":       {"", io.EOF},
		"truncated length":   {"12", io.ErrUnexpectedEOF},
		"non-numeric length": {"abcdefcmd=x;", ErrProtocol},
		"sign":               {"-1    cmd=x;", ErrProtocol},
		"inner blank":        {"1 2   cmd=x;", ErrProtocol},
		"blank length":       {"      cmd=x;", ErrProtocol},
		"zero length":        {"000000", ErrProtocol},
		"over the limit":     {"999999", ErrProtocol},
		"truncated body":     {"40    cmd=kvs-put", io.ErrUnexpectedEOF},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readFrame(bufio.NewReader(strings.NewReader(tc.in)), MaxFrameLen)
			require.ErrorIs(t, err, tc.want)
		})
	}
	// The limit is checked before anything is read or allocated.
	_, err := readFrame(bufio.NewReader(strings.NewReader("101   ")), 100)
	require.ErrorIs(t, err, ErrProtocol)
	assert.Contains(t, err.Error(), "exceeds the limit of 100")
}

func TestParseFrame(t *testing.T) {
	m, err := parseFrame([]byte("cmd=kvs-get-response;rc=0;found=TRUE;value=a=b;;c d;thrid=0x1;empty=;"))
	require.NoError(t, err)
	assert.Equal(t, message{cmd: "kvs-get-response", args: []arg{
		{"rc", "0"}, {"found", "TRUE"}, {"value", "a=b;c d"}, {"thrid", "0x1"}, {"empty", ""},
	}}, m)

	// The last pair's ';' may be missing (Hydra's old replies end so).
	m, err = parseFrame([]byte("cmd=finalize-response;rc=0"))
	require.NoError(t, err)
	assert.Equal(t, message{cmd: "finalize-response", args: []arg{{"rc", "0"}}}, m)

	for name, in := range map[string]string{
		"empty":          "",
		"no cmd":         "rc=0;cmd=x;",
		"empty cmd":      "cmd=;rc=0;",
		"bad cmd":        "cmd=a b;",
		"key without =":  "cmd=x;rc;",
		"empty key":      "cmd=x;=1;",
		"bad key":        "cmd=x;r c=1;",
		"newline":        "cmd=x;rc=0;\n",
		"NUL":            "cmd=x;v=\x00;",
		"high byte":      "cmd=x;v=\xff;",
		"leading blank":  " cmd=x;",
		"cmd escaped ;;": "cmd=x;;y;",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseFrame([]byte(in))
			require.ErrorIs(t, err, ErrProtocol)
		})
	}
}

func TestEncodeFrame(t *testing.T) {
	b, err := encodeFrame("kvs-put", "key", "k", "value", "a;b")
	require.NoError(t, err)
	assert.Equal(t, "    29cmd=kvs-put;key=k;value=a;;b;", string(b))
	m, err := parseFrame(b[lenFieldWidth:])
	require.NoError(t, err)
	assert.Equal(t, "a;b", val(t, m, "value"))

	_, err = encodeFrame("bad cmd")
	require.Error(t, err)
	_, err = encodeFrame("x", "bad key", "v")
	require.Error(t, err)
	_, err = encodeFrame("x", "k", "new\nline")
	require.Error(t, err)
	_, err = encodeFrame("x", "k")
	require.Error(t, err)
	_, err = encodeFrame("x", "k", strings.Repeat("v", 1_000_000))
	require.Error(t, err, "length does not fit six digits")
}

func TestPMI2ClientInit(t *testing.T) {
	f := newFake2(t, 4)
	c := f.client(2)
	assert.Equal(t, 2, c.Rank())
	assert.Equal(t, 4, c.Size())
	assert.Equal(t, -1, c.AppNum())
	assert.Equal(t, "1234.0", c.JobID())
	assert.Equal(t, "", c.SpawnerJobID())

	f.mu.Lock()
	assert.Equal(t, []string{"cmd=init pmi_version=2 pmi_subversion=0\n"}, f.inits)
	require.Len(t, f.fullinits, 1)
	assert.Equal(t, map[string]string{"pmijobid": "1234.0", "pmirank": "2", "threaded": "FALSE"}, f.fullinits[0])
	f.mu.Unlock()

	v, err := c.JobAttr("PMI_process_mapping")
	require.NoError(t, err)
	assert.Equal(t, "(vector,(0,1,4))", v)
	_, err = c.JobAttr("no-such-attr")
	require.ErrorIs(t, err, ErrKeyNotFound)

	require.NoError(t, within(t, "Finalize", c.Finalize))
	assert.Equal(t, 2, recv(t, "finalize", f.finalized))
	require.NoError(t, c.Finalize(), "Finalize is idempotent")
	require.ErrorIs(t, c.Put("k", "v"), ErrClosed)
	require.ErrorIs(t, c.Abort(1, ""), ErrClosed)
}

func TestPMI2ClientWithoutJobID(t *testing.T) {
	// Hydra sets no PMI_JOBID; fullinit then goes without pmijobid, which
	// Slurm (and so the fake) would refuse.
	f := newFake2(t, 1)
	_, err := within(t, "newPMI2Client", func() clientResult2 {
		c, err := newPMI2Client(f.connect(), "", 0)
		return clientResult2{c, err}
	}).get()
	require.ErrorIs(t, err, ErrRejected)
	assert.Equal(t, []string{"pmijobid missing in fullinit command"}, f.takeViolations())
}

type clientResult2 struct {
	c   *pmi2Client
	err error
}

func (r clientResult2) get() (*pmi2Client, error) { return r.c, r.err }

func TestPMI2ClientPutFenceGet(t *testing.T) {
	const n = 3
	f := newFake2(t, n)
	clients := make([]*pmi2Client, n)
	for r := range n {
		clients[r] = f.client(r)
	}
	long := strings.Repeat("x", ValLenMax)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = func() error {
				if err := c.Put(fmt.Sprintf("card-%d", r), fmt.Sprintf("host%d|40%02d|a=b", r, r)); err != nil {
					return err
				}
				if r == 0 {
					if err := c.Put("long", long); err != nil {
						return err
					}
				}
				// Not visible before the fence.
				if _, err := c.Get(fmt.Sprintf("card-%d", (r+1)%n)); err == nil {
					return fmt.Errorf("rank %d saw a put before the fence", r)
				}
				if err := c.Fence(); err != nil {
					return err
				}
				for peer := range n {
					v, err := c.Get(fmt.Sprintf("card-%d", peer))
					if err != nil {
						return err
					}
					if want := fmt.Sprintf("host%d|40%02d|a=b", peer, peer); v != want {
						return fmt.Errorf("rank %d: card-%d = %q, want %q", r, peer, v, want)
					}
				}
				if v, err := c.Get("long"); err != nil || v != long {
					return fmt.Errorf("rank %d: long value: %q, %v", r, v, err)
				}
				if _, err := c.Get("absent"); !errors.Is(err, ErrKeyNotFound) {
					return fmt.Errorf("rank %d: absent key: %v", r, err)
				}
				return c.Barrier() // a second fence, by its PMI-1 name
			}()
		}()
	}
	within(t, "three ranks' put/fence/get", func() struct{} { wg.Wait(); return struct{}{} })
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
	for _, c := range clients {
		require.NoError(t, within(t, "Finalize", c.Finalize))
	}
}

func TestPMI2ClientInvalidArgs(t *testing.T) {
	f := newFake2(t, 1)
	c := f.client(0)
	for name, kv := range map[string][2]string{
		"empty key":         {"", "v"},
		"empty value":       {"k", ""},
		"space in value":    {"k", "a b"},
		"semicolon value":   {"k", "a;b"},
		"semicolon key":     {"k;x", "v"},
		"equals in key":     {"k=x", "v"},
		"newline in value":  {"k", "a\nb"},
		"key too long":      {strings.Repeat("k", KeyLenMax+1), "v"},
		"value too long":    {"k", strings.Repeat("v", ValLenMax+1)},
		"non-ASCII in key":  {"kä", "v"},
		"control in value":  {"k", "\x01"},
		"space-only value":  {"k", " "},
		"space in key":      {"a key", "v"},
		"semicolon at end":  {"k", "v;"},
		"double semicolons": {"k", ";;"},
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, c.Put(kv[0], kv[1]), ErrInvalid)
		})
	}
	_, err := c.Get("bad key")
	require.ErrorIs(t, err, ErrInvalid)
	_, err = c.JobAttr("")
	require.ErrorIs(t, err, ErrInvalid)
	// Nothing reached the server, and the connection still works.
	require.NoError(t, c.Put("k", "v"))

	_, err = newPMI2Client(f.connect(), "has space", 0)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = newPMI2Client(f.connect(), "1234.0", -1)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestPMI2ClientAbort(t *testing.T) {
	f := newFake2(t, 2)
	c := f.client(1)
	require.NoError(t, c.Abort(7, "it broke; badly\n"))
	assert.Equal(t, map[string]string{
		"isworld": "TRUE", "exitcode": "7", "message": "it broke_ badly_",
	}, recv(t, "abort", f.aborts))
	require.ErrorIs(t, c.Put("k", "v"), ErrClosed)
	require.ErrorIs(t, c.Abort(7, ""), ErrClosed)

	// Without a message, none is sent; a long one is cut.
	c = f.client(0)
	require.NoError(t, c.Abort(0, ""))
	assert.Equal(t, map[string]string{"isworld": "TRUE", "exitcode": "0"}, recv(t, "abort", f.aborts))
	c = f.client(0)
	require.NoError(t, c.Abort(1, strings.Repeat("m", 3*MaxLineLen)))
	assert.Len(t, recv(t, "abort", f.aborts)["message"], MaxLineLen)
}

func TestPMI2ClientAbortEndsFence(t *testing.T) {
	f := newFake2(t, 2) // rank 1 never comes: the fence cannot complete
	c := f.client(0)
	fenced := make(chan error, 1)
	go func() { fenced <- c.Fence() }()
	// Abort does not wait for the request in flight.
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.fenced == 1
	}, testTimeout, eventuallyTick)
	require.NoError(t, within(t, "Abort", func() error { return c.Abort(3, "stuck") }))
	require.ErrorIs(t, recv(t, "Fence", fenced), ErrClosed)
}

func TestPMI2ClientCloseEndsFence(t *testing.T) {
	f := newFake2(t, 2)
	c := f.client(0)
	fenced := make(chan error, 1)
	go func() { fenced <- c.Fence() }()
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.fenced == 1
	}, testTimeout, eventuallyTick)
	require.NoError(t, c.Close())
	require.ErrorIs(t, recv(t, "Fence", fenced), ErrClosed)
	require.NoError(t, c.Close(), "Close is idempotent")
}

// TestPMI2ClientMalformedReplies has the server answer one request with bytes
// no server should send, then hang up. Each must give an error, never a
// hang or a panic, and leave the connection marked broken.
func TestPMI2ClientMalformedReplies(t *testing.T) {
	for name, tc := range map[string]struct {
		cmd  string
		raw  string
		want error
	}{
		"truncated length":        {"kvs-put", "12", io.ErrUnexpectedEOF},
		"non-numeric length":      {"kvs-put", "abcdefcmd=kvs-put-response;rc=0;", ErrProtocol},
		"over-long length":        {"kvs-put", "999999", ErrProtocol},
		"zero length":             {"kvs-put", "0     ", ErrProtocol},
		"truncated body":          {"kvs-put", "40    cmd=kvs-put-response;", io.ErrUnexpectedEOF},
		"no reply":                {"kvs-put", "", io.EOF},
		"missing rc":              {"kvs-put", string(frame2("cmd=kvs-put-response;")), ErrProtocol},
		"rc not a number":         {"kvs-put", string(frame2("cmd=kvs-put-response;rc=zero;")), ErrProtocol},
		"wrong reply":             {"kvs-put", string(frame2("cmd=kvs-get-response;rc=0;")), ErrProtocol},
		"PMI-1 reply":             {"kvs-put", "cmd=put_result rc=0\n", ErrProtocol},
		"no cmd first":            {"kvs-put", string(frame2("rc=0;cmd=kvs-put-response;")), ErrProtocol},
		"non-printable":           {"kvs-put", string(frame2("cmd=kvs-put-response;rc=0;x=\x07;")), ErrProtocol},
		"pair without =":          {"kvs-put", string(frame2("cmd=kvs-put-response;rc;")), ErrProtocol},
		"get found=maybe":         {"kvs-get", string(frame2("cmd=kvs-get-response;rc=0;found=maybe;")), ErrProtocol},
		"get found without value": {"kvs-get", string(frame2("cmd=kvs-get-response;rc=0;found=TRUE;")), ErrProtocol},
		"fence cut short":         {"kvs-fence", "2", io.ErrUnexpectedEOF},
		"finalize missing rc":     {"finalize", string(frame2("cmd=finalize-response;")), ErrProtocol},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake2(t, 1)
			f.reply = func(cmd string) []byte {
				if cmd == tc.cmd {
					return []byte(tc.raw)
				}
				return nil
			}
			c := f.client(0)
			err := within(t, tc.cmd, func() error {
				switch tc.cmd {
				case "kvs-put":
					return c.Put("k", "v")
				case "kvs-get":
					_, err := c.Get("k")
					return err
				case "kvs-fence":
					return c.Fence()
				default:
					return c.Finalize()
				}
			})
			require.ErrorIs(t, err, tc.want)
			if tc.cmd != "finalize" {
				// Sticky: the stream is out of step.
				require.ErrorIs(t, c.Put("k2", "v"), tc.want)
			}
		})
	}
}

func TestPMI2ClientMalformedInit(t *testing.T) {
	for name, tc := range map[string]struct {
		raw  string
		want error
	}{
		"fullinit without size": {string(frame2("cmd=fullinit-response;rc=0;rank=0;")), ErrProtocol},
		"fullinit without rank": {string(frame2("cmd=fullinit-response;rc=0;size=1;")), ErrProtocol},
		"rank out of range":     {string(frame2("cmd=fullinit-response;rc=0;rank=0;size=0;")), ErrProtocol},
		"another rank":          {string(frame2("cmd=fullinit-response;rc=0;rank=1;size=2;")), ErrProtocol},
		"bad appnum":            {string(frame2("cmd=fullinit-response;rc=0;rank=0;size=1;appnum=x;")), ErrProtocol},
		"pmi-version 3":         {string(frame2("cmd=fullinit-response;rc=0;pmi-version=3;rank=0;size=1;")), ErrProtocol},
		"refused":               {string(frame2("cmd=fullinit-response;rc=3;errmsg=no such job;")), ErrRejected},
		"missing rc":            {string(frame2("cmd=fullinit-response;rank=0;size=1;")), ErrProtocol},
		"hang up":               {"", io.EOF},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake2(t, 1)
			f.reply = func(cmd string) []byte {
				if cmd == "fullinit" {
					return []byte(tc.raw)
				}
				return nil
			}
			conn := f.connect()
			_, err := within(t, "newPMI2Client", func() clientResult2 {
				c, err := newPMI2Client(conn, f.jobID, 0)
				return clientResult2{c, err}
			}).get()
			require.ErrorIs(t, err, tc.want)
		})
	}
	// A refusal's errmsg reaches the error.
	f := newFake2(t, 1)
	f.reply = func(cmd string) []byte { return frame2("cmd=fullinit-response;rc=3;errmsg=no such job;") }
	_, err := newPMI2Client(f.connect(), f.jobID, 0)
	require.ErrorContains(t, err, "no such job")
}

func TestPMI2ClientJobGetID(t *testing.T) {
	for name, tc := range map[string]struct {
		raw  string
		want error
	}{
		"no jobid":        {string(frame2("cmd=job-getid-response;rc=0;")), ErrProtocol},
		"unsendable":      {string(frame2("cmd=job-getid-response;rc=0;jobid=a b;")), ErrProtocol},
		"refused":         {string(frame2("cmd=job-getid-response;rc=1;")), ErrRejected},
		"thrid echoed":    {string(frame2("cmd=job-getid-response;thrid=0x7f;jobid=kvs_9_0;rc=0")), nil},
		"rc last, no end": {string(frame2("cmd=job-getid-response;jobid=kvs_9_0;rc=0")), nil},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake2(t, 1)
			f.reply = func(cmd string) []byte {
				if cmd == "job-getid" {
					return []byte(tc.raw)
				}
				return nil
			}
			c, err := within(t, "newPMI2Client", func() clientResult2 {
				c, err := newPMI2Client(f.connect(), f.jobID, 0)
				return clientResult2{c, err}
			}).get()
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "kvs_9_0", c.JobID())
			c.Close()
		})
	}
}

func TestPMI2ClientRefusedBySpmdrunServer(t *testing.T) {
	// spmdrun's Server speaks PMI-1 only and says so.
	s := newTestServer(t, ServerConfig{Size: 1})
	conn, _ := serveOverPipe(t, s, 0)
	_, err := within(t, "newPMI2Client", func() clientResult2 {
		c, err := newPMI2Client(conn, "", 0)
		return clientResult2{c, err}
	}).get()
	require.ErrorIs(t, err, ErrRejected)
	assert.ErrorContains(t, err, "pmi_version=1")
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{"": VersionAuto, "auto": VersionAuto, "1": Version1, "2": Version2} {
		v, err := ParseVersion(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, v, in)
	}
	for _, in := range []string{"3", "pmi2", " 2", "0"} {
		_, err := ParseVersion(in)
		require.ErrorIs(t, err, ErrInvalid, in)
	}
	assert.Equal(t, "auto", VersionAuto.String())
	assert.Equal(t, "2", Version2.String())
	_, err := ConnectFromEnv(Version(7))
	require.ErrorIs(t, err, ErrInvalid)
}

// setFDEnv hands the client end of a socket pair to the environment as an
// inherited PMI_FD would be, with the other variables given.
func setFDEnv(t *testing.T, cli interface{ Fd() uintptr }, kv ...string) {
	t.Helper()
	clearPMIEnv(t)
	t.Setenv(EnvJobID, "")
	fd, err := syscall.Dup(int(cli.Fd()))
	require.NoError(t, err)
	t.Setenv(EnvFD, fmt.Sprint(fd))
	for i := 0; i < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
}

type endpointResult struct {
	e   Endpoint
	err error
}

func connectWithin(t *testing.T, v Version) (Endpoint, error) {
	t.Helper()
	r := within(t, "ConnectFromEnv", func() endpointResult {
		e, err := ConnectFromEnv(v)
		return endpointResult{e, err}
	})
	if r.e != nil {
		t.Cleanup(func() { r.e.Close() })
	}
	return r.e, r.err
}

func TestConnectFromEnvPMI2(t *testing.T) {
	f := newFake2(t, 2)
	cli, srv := socketPair(t)
	defer cli.Close()
	f.serveFile(srv)
	setFDEnv(t, cli, EnvRank, "1", EnvSize, "2", EnvJobID, "1234.0")
	e, err := connectWithin(t, Version2)
	require.NoError(t, err)
	c, ok := e.(*pmi2Client)
	require.True(t, ok, "got %T", e)
	assert.Equal(t, 1, c.Rank())
	assert.Equal(t, 2, c.Size())
	require.NoError(t, c.Put("k", "v"))
	require.NoError(t, within(t, "Finalize", c.Finalize))
	assert.Equal(t, 1, recv(t, "finalize", f.finalized))
}

func TestConnectFromEnvPMI2SizeOptional(t *testing.T) {
	f := newFake2(t, 3)
	cli, srv := socketPair(t)
	defer cli.Close()
	f.serveFile(srv)
	setFDEnv(t, cli, EnvRank, "0", EnvJobID, "1234.0")
	e, err := connectWithin(t, Version2)
	require.NoError(t, err)
	assert.Equal(t, 3, e.Size())
}

func TestConnectFromEnvPMI2SizeMismatch(t *testing.T) {
	f := newFake2(t, 3)
	cli, srv := socketPair(t)
	defer cli.Close()
	f.serveFile(srv)
	setFDEnv(t, cli, EnvRank, "0", EnvSize, "4", EnvJobID, "1234.0")
	_, err := connectWithin(t, Version2)
	require.ErrorIs(t, err, ErrProtocol)
	assert.ErrorContains(t, err, "PMI_SIZE=4")
}

// TestConnectFromEnvAutoSwitches: a server that answers the PMI-1 init
// with pmi_version=2 (as Slurm does once the step speaks PMI-2) gets a
// PMI-2 session on the same connection, without a second init.
func TestConnectFromEnvAutoSwitches(t *testing.T) {
	f := newFake2(t, 2)
	f.version = 2 // another task of the step started PMI-2 already
	cli, srv := socketPair(t)
	defer cli.Close()
	f.serveFile(srv)
	setFDEnv(t, cli, EnvRank, "1", EnvSize, "2", EnvJobID, "1234.0")
	e, err := connectWithin(t, VersionAuto)
	require.NoError(t, err)
	c, ok := e.(*pmi2Client)
	require.True(t, ok, "got %T", e)
	assert.Equal(t, 1, c.Rank())
	f.mu.Lock()
	assert.Equal(t, []string{"cmd=init pmi_version=1 pmi_subversion=1\n"}, f.inits)
	f.mu.Unlock()
	require.NoError(t, c.Put("k", "v"))
	require.NoError(t, within(t, "Finalize", c.Finalize))
	assert.Equal(t, 1, recv(t, "finalize", f.finalized))
}

// TestConnectFromEnvAutoStaysPMI1: spmdrun's Server (PMI-1) gets a PMI-1
// client, as does any server that accepts version 1.
func TestConnectFromEnvAutoStaysPMI1(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	f, err := s.RankConn(1)
	require.NoError(t, err)
	defer f.Close()
	setFDEnv(t, f, EnvRank, "1", EnvSize, "2")
	e, err := connectWithin(t, VersionAuto)
	require.NoError(t, err)
	c, ok := e.(*Client)
	require.True(t, ok, "got %T", e)
	require.NoError(t, f.Close())
	require.NoError(t, c.Put("k", "v"))
	require.NoError(t, c.Finalize())
	assert.Equal(t, closeEvent{1, true}, recv(t, "OnClose", rec.closes))
}

// TestConnectFromEnvInitRefused: an init refused for another reason than
// the version is an error (with a nil Endpoint), and the connection is
// closed.
func TestConnectFromEnvInitRefused(t *testing.T) {
	for _, v := range []Version{VersionAuto, Version1} {
		t.Run(v.String(), func(t *testing.T) {
			cli, srv := socketPair(t)
			defer cli.Close()
			conn := fileConn(t, srv)
			defer conn.Close()
			go func() {
				buf := make([]byte, 64)
				conn.Read(buf)
				conn.Write([]byte("cmd=response_to_init rc=-1 pmi_version=1 pmi_subversion=1 msg=go_away\n"))
			}()
			setFDEnv(t, cli, EnvRank, "0", EnvSize, "1")
			cli.Close() // the environment holds a duplicate
			e, err := connectWithin(t, v)
			require.ErrorIs(t, err, ErrRejected)
			assert.Nil(t, e)
			// The client closed its end: the server sees EOF.
			n, err := within(t, "read", func() readResult {
				n, err := io.Copy(io.Discard, conn)
				return readResult{n, err}
			}).get()
			assert.Zero(t, n)
			require.NoError(t, err)
		})
	}
}

type readResult struct {
	n   int64
	err error
}

func (r readResult) get() (int64, error) { return r.n, r.err }

func TestConnectFromEnvPMI2RefusedBySpmdrun(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 1})
	f, err := s.RankConn(0)
	require.NoError(t, err)
	defer f.Close()
	setFDEnv(t, f, EnvRank, "0", EnvSize, "1")
	_, err = connectWithin(t, Version2)
	require.ErrorIs(t, err, ErrRejected)
}

func TestConnectFromEnvPMI2NeedsFD(t *testing.T) {
	clearPMIEnv(t)
	t.Setenv(EnvPort, "localhost:1")
	t.Setenv(EnvID, "0")
	_, err := ConnectFromEnv(Version2)
	require.ErrorIs(t, err, ErrInvalid)

	clearPMIEnv(t)
	_, err = ConnectFromEnv(Version2)
	require.ErrorIs(t, err, ErrNoPMI)
}

func TestConnectFromEnvPMI2BadRank(t *testing.T) {
	clearPMIEnv(t)
	t.Setenv(EnvFD, "3")
	_, err := ConnectFromEnv(Version2)
	require.ErrorContains(t, err, EnvRank)
	t.Setenv(EnvRank, "x")
	_, err = ConnectFromEnv(Version2)
	require.ErrorContains(t, err, "not an integer")
}

// TestNegotiateKeepsBufferedBytes: bytes read past the init reply (a
// server that sends its first PMI-2 message early) reach the PMI-2 client.
func TestNegotiateKeepsBufferedBytes(t *testing.T) {
	var out bytes.Buffer
	in := "cmd=response_to_init rc=0 pmi_version=2 pmi_subversion=0\n" +
		string(frame2("cmd=fullinit-response;rc=0;rank=0;size=1;")) +
		string(frame2("cmd=job-getid-response;rc=0;jobid=j;"))
	conn := &scriptConn{r: strings.NewReader(in), w: &out}
	e, err := negotiate(conn, bufio.NewReaderSize(conn, maxReplyLen), 0, 1, "j")
	require.NoError(t, err)
	c, ok := e.(*pmi2Client)
	require.True(t, ok, "got %T", e)
	assert.Equal(t, "j", c.JobID())
	assert.True(t, strings.HasPrefix(out.String(), "cmd=init pmi_version=1 pmi_subversion=1\n"), out.String())
	assert.Equal(t, 1, strings.Count(out.String(), "cmd=init"))
	assert.False(t, conn.closed)
	require.NoError(t, c.Close())
	assert.True(t, conn.closed)
}

// scriptConn replays fixed bytes as a server's replies and collects what
// the client writes.
type scriptConn struct {
	r      io.Reader
	w      io.Writer
	closed bool
}

func (s *scriptConn) Read(p []byte) (int, error) {
	if s.closed {
		return 0, io.ErrClosedPipe
	}
	return s.r.Read(p)
}

func (s *scriptConn) Write(p []byte) (int, error) {
	if s.closed {
		return 0, io.ErrClosedPipe
	}
	return s.w.Write(p)
}

func (s *scriptConn) Close() error { s.closed = true; return nil }
