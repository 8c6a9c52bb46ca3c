package collective

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
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

// forced returns the algorithm that SPMD_COLL_<OP> forces for op, or "" if
// none; a name that op does not have is an error.
func forced(op string) (string, error) {
	v := os.Getenv("SPMD_COLL_" + strings.ToUpper(op))
	if v == "" {
		return "", nil
	}
	registry.Lock()
	names := registry.algs[op]
	registry.Unlock()
	if !slices.Contains(names, v) {
		return "", fmt.Errorf("collective: SPMD_COLL_%s=%q: %s has algorithms %v: %w",
			strings.ToUpper(op), v, op, names, ErrAlgorithm)
	}
	return v, nil
}
