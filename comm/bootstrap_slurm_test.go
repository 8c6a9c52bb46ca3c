package comm

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spmd-go/spmd/internal/pmi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slurmTestTimeout bounds every wait in these tests.
const slurmTestTimeout = 20 * time.Second

// withinT runs f on a goroutine and fails the test if it does not return
// within slurmTestTimeout.
func withinT[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(slurmTestTimeout):
		t.Fatalf("%s: did not finish within %v", what, slurmTestTimeout)
		panic("unreachable")
	}
}

// slurmEnv is the environment srun --mpi=none gives task rank of a step of
// size tasks on localhost, with the key-value server on port.
func slurmEnv(rank, size, port int) map[string]string {
	return map[string]string{
		"SLURM_JOB_ID":         "4242",
		"SLURM_STEP_ID":        "3",
		"SLURM_PROCID":         strconv.Itoa(rank),
		"SLURM_NTASKS":         strconv.Itoa(size),
		"SLURM_STEP_NUM_TASKS": strconv.Itoa(size),
		"SLURM_STEP_NODELIST":  "localhost",
		"SLURM_JOB_NODELIST":   "localhost,node[2-9]",
		"SPMD_SLURM_PORT":      strconv.Itoa(port),
		"SPMD_CONNECT_TIMEOUT": "15s",
	}
}

func lookup(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// exitRecorder stands in for os.Exit on rank 0.
type exitRecorder struct{ codes chan int }

func newExitRecorder() *exitRecorder { return &exitRecorder{codes: make(chan int, 8)} }

func (e *exitRecorder) exit(code int) { e.codes <- code }

func stepFor(t *testing.T, env map[string]string) slurmStep {
	t.Helper()
	st, ok, err := slurmStepFromEnv(lookup(env))
	require.NoError(t, err)
	require.True(t, ok)
	return st
}

type bootResult struct {
	b   *slurmBootstrap
	err error
}

// startRank makes rank's bootstrap on a goroutine; the result arrives on
// the channel.
func startRank(t *testing.T, env map[string]string, exit func(int)) <-chan bootResult {
	t.Helper()
	st := stepFor(t, env)
	ch := make(chan bootResult, 1)
	go func() {
		b, err := newSlurmBootstrap(st, exit, t.Logf)
		ch <- bootResult{b, err}
	}()
	return ch
}

func waitBoot(t *testing.T, what string, ch <-chan bootResult) *slurmBootstrap {
	t.Helper()
	r := withinT(t, what, func() bootResult { return <-ch })
	require.NoError(t, r.err, what)
	b := r.b
	t.Cleanup(func() {
		if b.kvs != nil {
			b.kvs.close()
		}
		b.Close()
	})
	return b
}

func TestSlurmStepFromEnv(t *testing.T) {
	env := slurmEnv(2, 4, 0)
	delete(env, "SPMD_SLURM_PORT")
	delete(env, "SPMD_CONNECT_TIMEOUT")
	env["SLURM_STEP_NODELIST"] = "tux[07-09],login"
	st := stepFor(t, env)
	assert.Equal(t, slurmStep{
		rank: 2, size: 4, jobID: 4242, stepID: 3, host: "tux07",
		port: slurmPort(4242, 3), timeout: DefaultConnectTimeout,
	}, st)
	assert.Equal(t, "4242.3", st.job())
	assert.Equal(t, "tux07:"+strconv.Itoa(st.port), st.addr())

	// Fallbacks: SLURM_NTASKS, then SLURM_NPROCS; SLURM_JOB_NODELIST,
	// then SLURM_NODELIST.
	delete(env, "SLURM_STEP_NUM_TASKS")
	delete(env, "SLURM_NTASKS")
	env["SLURM_NPROCS"] = "5"
	delete(env, "SLURM_STEP_NODELIST")
	delete(env, "SLURM_JOB_NODELIST")
	env["SLURM_NODELIST"] = "c1-[3-4]"
	env["SPMD_SLURM_PORT"] = "12345"
	env["SPMD_CONNECT_TIMEOUT"] = "90s"
	st = stepFor(t, env)
	assert.Equal(t, 5, st.size)
	assert.Equal(t, "c1-3", st.host)
	assert.Equal(t, 12345, st.port)
	assert.Equal(t, 90*time.Second, st.timeout)
}

func TestSlurmStepFromEnvNotAStep(t *testing.T) {
	for name, edit := range map[string]func(map[string]string){
		"no SLURM_JOB_ID":  func(e map[string]string) { delete(e, "SLURM_JOB_ID") },
		"no SLURM_STEP_ID": func(e map[string]string) { delete(e, "SLURM_STEP_ID") }, // a batch script
		"no SLURM_PROCID":  func(e map[string]string) { delete(e, "SLURM_PROCID") },
		"batch step":       func(e map[string]string) { e["SLURM_STEP_ID"] = "4294967294" },
		"extern step":      func(e map[string]string) { e["SLURM_STEP_ID"] = "4294967292" },
		"interactive step": func(e map[string]string) { e["SLURM_STEP_ID"] = "4294967290" },
		"nothing":          func(e map[string]string) { clear(e) },
	} {
		t.Run(name, func(t *testing.T) {
			env := slurmEnv(0, 4, 0)
			edit(env)
			_, ok, err := slurmStepFromEnv(lookup(env))
			require.NoError(t, err)
			assert.False(t, ok)
			b, err := slurmBootstrapFromEnv(lookup(env))
			require.NoError(t, err)
			assert.Nil(t, b)
		})
	}
}

func TestSlurmStepFromEnvBadValues(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(map[string]string)
		want string
	}{
		"SLURM_PROCID=x":         {func(e map[string]string) { e["SLURM_PROCID"] = "x" }, `SLURM_PROCID="x" is not a rank`},
		"negative SLURM_PROCID":  {func(e map[string]string) { e["SLURM_PROCID"] = "-1" }, "is not a rank"},
		"PROCID == NTASKS":       {func(e map[string]string) { e["SLURM_PROCID"] = "4" }, "SLURM_PROCID=4 is not below SLURM_STEP_NUM_TASKS=4"},
		"PROCID > NTASKS":        {func(e map[string]string) { e["SLURM_PROCID"] = "9" }, "is not below"},
		"NTASKS=0":               {func(e map[string]string) { e["SLURM_STEP_NUM_TASKS"] = "0" }, "SLURM_STEP_NUM_TASKS=\"0\" is not a number of tasks"},
		"NTASKS=four":            {func(e map[string]string) { e["SLURM_STEP_NUM_TASKS"] = "four" }, "is not a number of tasks"},
		"no task count":          {func(e map[string]string) { delete(e, "SLURM_STEP_NUM_TASKS"); delete(e, "SLURM_NTASKS") }, "none of SLURM_STEP_NUM_TASKS"},
		"bad job id":             {func(e map[string]string) { e["SLURM_JOB_ID"] = "12ab" }, "SLURM_JOB_ID"},
		"bad step id":            {func(e map[string]string) { e["SLURM_STEP_ID"] = "-3" }, "SLURM_STEP_ID"},
		"no node list":           {func(e map[string]string) { delete(e, "SLURM_STEP_NODELIST"); delete(e, "SLURM_JOB_NODELIST") }, "none of SLURM_STEP_NODELIST"},
		"malformed node list":    {func(e map[string]string) { e["SLURM_STEP_NODELIST"] = "node[1-" }, "SLURM_STEP_NODELIST"},
		"port out of range":      {func(e map[string]string) { e["SPMD_SLURM_PORT"] = "70000" }, "SPMD_SLURM_PORT"},
		"port not a number":      {func(e map[string]string) { e["SPMD_SLURM_PORT"] = "http" }, "SPMD_SLURM_PORT"},
		"bad connect timeout":    {func(e map[string]string) { e["SPMD_CONNECT_TIMEOUT"] = "soon" }, "SPMD_CONNECT_TIMEOUT"},
		"negative timeout":       {func(e map[string]string) { e["SPMD_CONNECT_TIMEOUT"] = "-1s" }, "SPMD_CONNECT_TIMEOUT"},
		"bad task count of size": {func(e map[string]string) { e["SLURM_STEP_NUM_TASKS"] = ""; e["SLURM_NTASKS"] = "2x" }, "SLURM_NTASKS"},
	} {
		t.Run(name, func(t *testing.T) {
			env := slurmEnv(1, 4, 5000)
			tc.edit(env)
			_, _, err := slurmStepFromEnv(lookup(env))
			require.ErrorIs(t, err, ErrArg)
			assert.ErrorContains(t, err, tc.want)
			_, err = slurmBootstrapFromEnv(lookup(env))
			require.ErrorIs(t, err, ErrArg)
		})
	}
}

func TestSlurmPort(t *testing.T) {
	assert.Equal(t, 20000+(4242*16+3)%12000, slurmPort(4242, 3))
	assert.Equal(t, 20000, slurmPort(0, 0))
	seen := map[int]bool{}
	for job := uint64(1); job < 100; job++ {
		for step := uint64(0); step < 16; step++ {
			p := slurmPort(job, step)
			require.GreaterOrEqual(t, p, 20000)
			require.Less(t, p, 32000, "below the ephemeral range")
			require.False(t, seen[p], "steps of nearby jobs get distinct ports")
			seen[p] = true
		}
	}
	assert.Less(t, slurmPort(1<<32-1, 1<<32-17), 32000, "no overflow")
}

func TestSlurmOneTaskIsSingleton(t *testing.T) {
	b, err := slurmBootstrapFromEnv(lookup(slurmEnv(0, 1, 1)))
	require.NoError(t, err)
	assert.Equal(t, singleton{}, b)
}

// TestSlurmKVS runs three ranks' bootstraps as goroutines: ranks 1 and 2
// start before rank 0 is listening, and retry until it is.
func TestSlurmKVS(t *testing.T) {
	const n = 3
	port := freePort(t)
	exits := newExitRecorder()
	started := make([]<-chan bootResult, n)
	for r := n - 1; r >= 1; r-- {
		started[r] = startRank(t, slurmEnv(r, n, port), exits.exit)
	}
	time.Sleep(100 * time.Millisecond) // let them fail to connect a few times
	started[0] = startRank(t, slurmEnv(0, n, port), exits.exit)
	boots := make([]*slurmBootstrap, n)
	for r := range n {
		boots[r] = waitBoot(t, fmt.Sprintf("rank %d bootstrap", r), started[r])
		assert.Equal(t, r, boots[r].Rank())
		assert.Equal(t, n, boots[r].Size())
	}
	require.NotNil(t, boots[0].kvs)

	var wg sync.WaitGroup
	errs := make([]error, n)
	finalized := make([]time.Time, n) // rank 0: Finalize returned; others: Finalize called
	for r, b := range boots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = func() error {
				if err := b.Put(fmt.Sprintf("card-%d", r), fmt.Sprintf("host|%d", r)); err != nil {
					return err
				}
				if err := b.Fence(); err != nil {
					return err
				}
				for peer := range n {
					v, err := b.Get(fmt.Sprintf("card-%d", peer))
					if err != nil {
						return err
					}
					if v != fmt.Sprintf("host|%d", peer) {
						return fmt.Errorf("card-%d = %q", peer, v)
					}
				}
				if r == 2 {
					b.ReportLost(1)
				}
				if err := b.Fence(); err != nil {
					return err
				}
				if v, err := b.Get("spmd-lost-2"); err != nil || v != "1" {
					return fmt.Errorf("spmd-lost-2: %q, %v", v, err)
				}
				if r != 0 {
					time.Sleep(200 * time.Millisecond) // rank 0 must wait for us
					finalized[r] = time.Now()
					return b.Finalize()
				}
				err := b.Finalize()
				finalized[r] = time.Now()
				return err
			}()
		}()
	}
	withinT(t, "three ranks", func() struct{} { wg.Wait(); return struct{}{} })
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
	assert.True(t, finalized[0].After(finalized[1]), "rank 0's Finalize returned before rank 1 finalized")
	assert.True(t, finalized[0].After(finalized[2]), "rank 0's Finalize returned before rank 2 finalized")
	// The server is gone.
	_, err := net.DialTimeout("tcp", net.JoinHostPort("localhost", strconv.Itoa(port)), time.Second)
	require.Error(t, err)
	assert.Empty(t, exits.codes)
}

// TestSlurmJoin wires up a world through the Slurm bootstrap, with the
// job cookie shared through its key-value space.
func TestSlurmJoin(t *testing.T) {
	const n = 3
	port := freePort(t)
	exits := newExitRecorder()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r := range n {
		ch := startRank(t, slurmEnv(r, n, port), exits.exit)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = func() error {
				res := <-ch
				if res.err != nil {
					return res.err
				}
				c, err := Join(res.b, Config{Transport: "tcp", Logf: t.Logf})
				if err != nil {
					res.b.Abort(1, "join failed")
					return err
				}
				out := []int64{int64(100 + r)}
				in := make([]int64, 1)
				if _, err := Sendrecv(c, out, (r+1)%n, 7, in, (r+n-1)%n, 7); err != nil {
					return err
				}
				if want := int64(100 + (r+n-1)%n); in[0] != want {
					return fmt.Errorf("rank %d got %d, want %d", r, in[0], want)
				}
				return c.Finalize()
			}()
		}()
	}
	withinT(t, "join, exchange, finalize", func() struct{} { wg.Wait(); return struct{}{} })
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
	assert.Empty(t, exits.codes)
}

// TestSlurmWrongJob: a rank that reaches another job's server is turned
// away at once, not after the timeout, and the other job goes on.
func TestSlurmWrongJob(t *testing.T) {
	port := freePort(t)
	exits := newExitRecorder()
	r0 := startRank(t, slurmEnv(0, 2, port), exits.exit)
	b0 := waitBoot(t, "rank 0", r0)

	for name, edit := range map[string]func(map[string]string){
		"other job":  func(e map[string]string) { e["SLURM_JOB_ID"] = "4243" },
		"other step": func(e map[string]string) { e["SLURM_STEP_ID"] = "4" },
		"other size": func(e map[string]string) { e["SLURM_STEP_NUM_TASKS"] = "3" },
	} {
		t.Run(name, func(t *testing.T) {
			env := slurmEnv(1, 2, port)
			edit(env)
			start := time.Now()
			r := withinT(t, "wrong rank", func() bootResult { return <-startRank(t, env, exits.exit) })
			require.ErrorIs(t, r.err, errWrongJob)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}

	// The rightful rank 1 still gets in.
	b1 := waitBoot(t, "rank 1", startRank(t, slurmEnv(1, 2, port), exits.exit))
	require.NoError(t, b1.Put("k", "v"))
	fenced := make(chan error, 1)
	go func() { fenced <- b0.Fence() }()
	require.NoError(t, withinT(t, "fence", b1.Fence))
	require.NoError(t, withinT(t, "fence", func() error { return <-fenced }))
	v, err := b0.Get("k")
	require.NoError(t, err)
	assert.Equal(t, "v", v)
}

// TestSlurmGreetingRefusals checks the server's side of the greeting.
func TestSlurmGreetingRefusals(t *testing.T) {
	port := freePort(t)
	b0 := waitBoot(t, "rank 0", startRank(t, slurmEnv(0, 3, port), newExitRecorder().exit))
	k := b0.kvs
	for line, reason := range map[string]string{
		"spmd-slurm-kvs 1 4242.3 1 3":  "",
		"spmd-slurm-kvs 1 4242.3 0 3":  "bad-rank", // rank 0 is served in-process
		"spmd-slurm-kvs 1 4242.3 3 3":  "bad-rank",
		"spmd-slurm-kvs 1 4242.3 x 3":  "bad-rank",
		"spmd-slurm-kvs 1 4242.3 1 4":  "job-4242.3-has-3-tasks",
		"spmd-slurm-kvs 1 4242.4 1 3":  "this-is-job-4242.3",
		"spmd-slurm-kvs 2 4242.3 1 3":  "not-an-spmd-greeting",
		"GET / HTTP/1.0":               "not-an-spmd-greeting",
		"cmd=initack pmiid=1":          "not-an-spmd-greeting",
		"spmd-slurm-kvs 1 4242.3 1 3 ": "",
	} {
		_, got := k.checkGreeting(line)
		assert.Equal(t, reason, got, line)
	}

	// A stray client that never greets does not hold up the close.
	conn, err := net.Dial("tcp", net.JoinHostPort("localhost", strconv.Itoa(port)))
	require.NoError(t, err)
	defer conn.Close()
	// And one that says something else is refused.
	conn2, err := net.Dial("tcp", net.JoinHostPort("localhost", strconv.Itoa(port)))
	require.NoError(t, err)
	defer conn2.Close()
	_, err = conn2.Write([]byte("GET / HTTP/1.0\n"))
	require.NoError(t, err)
	buf := make([]byte, 64)
	require.NoError(t, conn2.SetReadDeadline(time.Now().Add(slurmTestTimeout)))
	nr, _ := conn2.Read(buf)
	assert.Equal(t, "refused not-an-spmd-greeting\n", string(buf[:nr]))

	start := time.Now()
	withinT(t, "close", func() struct{} { k.close(); return struct{}{} })
	assert.Less(t, time.Since(start), slurmHelloTimeout/2)
}

func TestSlurmConnectTimeout(t *testing.T) {
	port := freePort(t) // nobody listens
	env := slurmEnv(1, 2, port)
	env["SPMD_CONNECT_TIMEOUT"] = "300ms"
	start := time.Now()
	r := withinT(t, "rank 1", func() bootResult { return <-startRank(t, env, nil) })
	require.Error(t, r.err)
	assert.ErrorContains(t, r.err, "could not join rank 0's key-value server at localhost:"+strconv.Itoa(port))
	assert.ErrorContains(t, r.err, "within 300ms")
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, 200*time.Millisecond)
	assert.Less(t, elapsed, 5*time.Second)
}

func TestSlurmPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	r := withinT(t, "rank 0", func() bootResult { return <-startRank(t, slurmEnv(0, 2, port), nil) })
	require.Error(t, r.err)
	assert.ErrorContains(t, r.err, "SPMD_SLURM_PORT")
}

// TestSlurmAbort: another rank's abort ends rank 0's process (through the
// exit hook here); rank 0's abort closes the server, which fails the
// others' fences rather than leaving them waiting.
func TestSlurmAbort(t *testing.T) {
	port := freePort(t)
	exits := newExitRecorder()
	r0 := startRank(t, slurmEnv(0, 3, port), exits.exit)
	r1 := startRank(t, slurmEnv(1, 3, port), exits.exit)
	r2 := startRank(t, slurmEnv(2, 3, port), exits.exit)
	b0, b1, b2 := waitBoot(t, "rank 0", r0), waitBoot(t, "rank 1", r1), waitBoot(t, "rank 2", r2)

	require.NoError(t, b2.Abort(5, "rank 2 gives up"))
	assert.Equal(t, 5, withinT(t, "exit", func() int { return <-exits.codes }))

	fenced := make(chan error, 1)
	go func() { fenced <- b1.Fence() }()
	require.NoError(t, b0.Abort(1, "rank 0 gives up"))
	require.Error(t, withinT(t, "rank 1's fence", func() error { return <-fenced }))
	assert.Empty(t, exits.codes, "rank 0's own abort is not reported to itself")
}

// TestSlurmFinalizeBounded: rank 0 waits for the others' finalize, but not
// forever.
func TestSlurmFinalizeBounded(t *testing.T) {
	port := freePort(t)
	env := slurmEnv(0, 2, port)
	env["SPMD_CONNECT_TIMEOUT"] = "200ms"
	b0 := waitBoot(t, "rank 0", startRank(t, env, nil))
	start := time.Now()
	err := withinT(t, "Finalize", b0.Finalize)
	require.Error(t, err)
	assert.ErrorContains(t, err, "only 1 of 2 ranks had finalized after 200ms")
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

// TestSlurmRankNeverJoins: a rank that never joins (it died before Init,
// or cannot reach rank 0) makes rank 0's fence fail after the connect
// timeout, with a log line naming the missing ranks, rather than wait for
// ever (found under a real srun --mpi=none, which leaves such a step
// running).
func TestSlurmRankNeverJoins(t *testing.T) {
	port := freePort(t)
	var mu sync.Mutex
	var logs []string
	env0 := slurmEnv(0, 4, port)
	env0["SPMD_CONNECT_TIMEOUT"] = "300ms"
	st0 := stepFor(t, env0)
	k0 := make(chan bootResult, 1)
	go func() {
		b, err := newSlurmBootstrap(st0, nil, func(f string, a ...any) {
			mu.Lock()
			logs = append(logs, fmt.Sprintf(f, a...))
			mu.Unlock()
		})
		k0 <- bootResult{b, err}
	}()
	b0 := waitBoot(t, "rank 0", k0)
	env2 := slurmEnv(2, 4, port)
	b2 := waitBoot(t, "rank 2", startRank(t, env2, nil))
	fenced := make(chan error, 1)
	go func() { fenced <- b2.Fence() }()
	start := time.Now()
	require.Error(t, withinT(t, "rank 0's fence", b0.Fence))
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	require.Error(t, withinT(t, "rank 2's fence", func() error { return <-fenced }))
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, strings.Join(logs, "\n"), "rank(s) 1, 3 of 4 did not join rank 0's key-value server")
}

// TestSlurmRankLeavesEarly: a rank that closes its connection without
// finalize counts as gone, so rank 0's Finalize does not wait for it, and a
// fence that needs it fails.
func TestSlurmRankLeavesEarly(t *testing.T) {
	port := freePort(t)
	var mu sync.Mutex
	var logs []string
	env0 := slurmEnv(0, 2, port)
	st0 := stepFor(t, env0)
	k0 := make(chan bootResult, 1)
	go func() {
		b, err := newSlurmBootstrap(st0, nil, func(f string, a ...any) {
			mu.Lock()
			logs = append(logs, fmt.Sprintf(f, a...))
			mu.Unlock()
		})
		k0 <- bootResult{b, err}
	}()
	b1 := waitBoot(t, "rank 1", startRank(t, slurmEnv(1, 2, port), nil))
	b0 := waitBoot(t, "rank 0", k0)
	require.NoError(t, b1.Close())
	require.Error(t, withinT(t, "fence", b0.Fence))
	require.NoError(t, withinT(t, "Finalize", b0.Finalize))
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, strings.Join(logs, "\n"), "rank 1 left without finalizing")
}

func TestBootstrapFromEnvOrder(t *testing.T) {
	clearEnv := func() {
		for _, v := range []string{"PMI_FD", "PMI_PORT", "PMI_ID", "PMI_RANK", "PMI_SIZE", "PMI_JOBID", "SPMD_PMI",
			"SLURM_JOB_ID", "SLURM_STEP_ID", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_NPROCS",
			"SLURM_STEP_NUM_TASKS", "SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST",
			"SPMD_SLURM_PORT", "SPMD_CONNECT_TIMEOUT"} {
			t.Setenv(v, "")
		}
	}
	setAll := func(env map[string]string) {
		for k, v := range env {
			t.Setenv(k, v)
		}
	}

	clearEnv()
	b, err := bootstrapFromEnv()
	require.NoError(t, err)
	assert.Equal(t, singleton{}, b, "no launcher: a world of one")

	clearEnv()
	setAll(slurmEnv(0, 1, 1))
	b, err = bootstrapFromEnv()
	require.NoError(t, err)
	assert.Equal(t, singleton{}, b, "a step of one task")

	clearEnv()
	setAll(slurmEnv(0, 2, 1))
	t.Setenv("SLURM_PROCID", "x")
	_, err = bootstrapFromEnv()
	require.ErrorIs(t, err, ErrArg)

	clearEnv()
	t.Setenv("SPMD_PMI", "3")
	_, err = bootstrapFromEnv()
	require.ErrorIs(t, err, ErrArg)
	require.ErrorIs(t, err, pmi.ErrInvalid)

	// PMI comes before Slurm's variables.
	clearEnv()
	srv, err := pmi.NewServer(pmi.ServerConfig{Size: 1})
	require.NoError(t, err)
	defer srv.Close()
	hostport, err := srv.ListenPort("127.0.0.1:0")
	require.NoError(t, err)
	setAll(slurmEnv(0, 2, 1))
	t.Setenv("PMI_PORT", hostport)
	t.Setenv("PMI_ID", "0")
	b, err = withinT(t, "bootstrapFromEnv", func() bootFromEnvResult {
		b, err := bootstrapFromEnv()
		return bootFromEnvResult{b, err}
	}).get()
	require.NoError(t, err)
	p, ok := b.(pmiBootstrap)
	require.True(t, ok, "got %T", b)
	_, isPMI1 := p.Endpoint.(*pmi.Client)
	assert.True(t, isPMI1)
	require.NoError(t, b.Finalize())

	// A PMI-2 request over PMI_PORT is an error, not a fall-through.
	clearEnv()
	t.Setenv("PMI_PORT", hostport)
	t.Setenv("PMI_ID", "0")
	t.Setenv("SPMD_PMI", "2")
	_, err = bootstrapFromEnv()
	require.ErrorIs(t, err, pmi.ErrInvalid)
}

type bootFromEnvResult struct {
	b   Bootstrap
	err error
}

func (r bootFromEnvResult) get() (Bootstrap, error) { return r.b, r.err }

// fakeEndpoint records puts, to check what pmiBootstrap sends whatever
// the wire.
type fakeEndpoint struct {
	pmi.Endpoint // nil: only Rank and Put are called
	rank         int
	mu           sync.Mutex
	puts         map[string]string
}

func (f *fakeEndpoint) Rank() int { return f.rank }

func (f *fakeEndpoint) Put(k, v string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts[k] = v
	return nil
}

func TestPMIBootstrapReportLost(t *testing.T) {
	// Any Endpoint, hence either wire's client.
	f := &fakeEndpoint{rank: 3, puts: map[string]string{}}
	var lr lossReporter = pmiBootstrap{f}
	lr.ReportLost(5)
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Equal(t, map[string]string{"spmd-lost-3": "5"}, f.puts)

	// The Slurm bootstrap reports losses too, but is not taken for a rank
	// that spmdrun can ask for diagnostics.
	var boot Bootstrap = &slurmBootstrap{pmiBootstrap: pmiBootstrap{f}}
	_, ok := boot.(lossReporter)
	assert.True(t, ok)
	_, ok = boot.(pmiBootstrap)
	assert.False(t, ok)
}

// TestSlurmInitSubprocesses runs Init in three processes that have only
// the environment srun --mpi=none gives: the whole path from the
// environment to a working world.
func TestSlurmInitSubprocesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const n = 3
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), slurmTestTimeout)
	defer cancel()
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PMI_") && !strings.HasPrefix(kv, "SLURM_") && !strings.HasPrefix(kv, "SPMD_") {
			base = append(base, kv)
		}
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]*strings.Builder, n)
	for r := range n {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSlurmHelperProcess$", "-test.count=1")
		cmd.Env = append([]string{"SPMD_TEST_SLURM_HELPER=1"}, base...)
		for k, v := range slurmEnv(r, n, port) {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		outs[r] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[r], outs[r]
		require.NoError(t, cmd.Start())
		cmds[r] = cmd
	}
	for r, cmd := range cmds {
		err := cmd.Wait()
		require.NoError(t, err, "rank %d:\n%s", r, outs[r])
		assert.Contains(t, outs[r].String(), fmt.Sprintf("rank %d of %d got %d", r, n, 100+(r+n-1)%n))
	}
}

// TestSlurmHelperProcess is one rank of TestSlurmInitSubprocesses.
func TestSlurmHelperProcess(t *testing.T) {
	if os.Getenv("SPMD_TEST_SLURM_HELPER") != "1" {
		t.Skip("a rank of TestSlurmInitSubprocesses")
	}
	c, err := Init()
	if err != nil {
		fmt.Println("Init:", err)
		os.Exit(2)
	}
	r, n := c.Rank(), c.Size()
	in := make([]int64, 1)
	if _, err := Sendrecv(c, []int64{int64(100 + r)}, (r+1)%n, 7, in, (r+n-1)%n, 7); err != nil {
		fmt.Println("Sendrecv:", err)
		os.Exit(3)
	}
	fmt.Printf("rank %d of %d got %d\n", r, n, in[0])
	if err := c.Finalize(); err != nil {
		fmt.Println("Finalize:", err)
		os.Exit(4)
	}
	os.Exit(0)
}
