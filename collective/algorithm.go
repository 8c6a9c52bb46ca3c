package collective

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/internal/commhook"
)

// registry maps an operation name ("allreduce") to its algorithm names, in
// the order they were registered.
var registry struct {
	sync.Mutex
	algs map[string][]string
}

// register records the algorithms of op; each algorithm file calls it from
// an init function.
func register(op string, names ...string) {
	registry.Lock()
	defer registry.Unlock()
	if registry.algs == nil {
		registry.algs = make(map[string][]string)
	}
	registry.algs[op] = append(registry.algs[op], names...)
}

// Algorithms returns, for each collective operation, the names of its
// algorithms: the values SPMD_COLL_<OP> accepts.
func Algorithms() map[string][]string {
	registry.Lock()
	defer registry.Unlock()
	out := make(map[string][]string, len(registry.algs))
	for op, names := range registry.algs {
		out[op] = slices.Clone(names)
	}
	return out
}

// forcingPrefix starts the environment variables that force algorithms.
const forcingPrefix = "SPMD_COLL_"

// forcingEnv returns the SPMD_COLL_<OP> variables set now, or nil.
func forcingEnv() map[string]string {
	var env map[string]string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, forcingPrefix) && v != "" {
			if env == nil {
				env = make(map[string]string)
			}
			env[k] = v
		}
	}
	return env
}

// forcedByEnv returns the algorithm that SPMD_COLL_<OP> forces for op, or
// "" if none; a name that op does not have is an error. The variables are
// those of the communicator's first collective call (state.env).
func (s *state) forcedByEnv(op string) (string, error) {
	if s.env == nil {
		return "", nil
	}
	key := forcingPrefix + strings.ToUpper(op)
	v := s.env[key]
	if v == "" {
		return "", nil
	}
	return v, checkAlgorithm(op, v, key)
}

// checkAlgorithm rejects an algorithm alg that op does not have; source
// says who named it.
func checkAlgorithm(op, alg, source string) error {
	registry.Lock()
	names := registry.algs[op]
	registry.Unlock()
	if !slices.Contains(names, alg) {
		return fmt.Errorf("collective: %s=%q: %s has algorithms %v: %w", source, alg, op, names, ErrAlgorithm)
	}
	return nil
}

// setOverride forces alg for op on c ("" removes it): the internal test
// hook that covers every algorithm without touching the environment, so
// tests may run in parallel.
func setOverride(c *comm.Comm, op, alg string) {
	s := stateOf(commhook.CollectiveView(c))
	for {
		old := s.override.Load()
		m := make(map[string]string)
		if old != nil {
			for k, v := range *old {
				m[k] = v
			}
		}
		if alg == "" {
			delete(m, op)
		} else {
			m[op] = alg
		}
		if s.override.CompareAndSwap(old, &m) {
			return
		}
	}
}
