package osu

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spmd-go/spmd/collective"
)

// AlgorithmVar returns the environment variable that forces the algorithm
// of collective benchmark k: SPMD_COLL_<OP>, e.g. SPMD_COLL_ALLREDUCE.
func AlgorithmVar(k Kind) string { return "SPMD_COLL_" + strings.ToUpper(string(k)) }

// ForceAlgorithm makes every later call of k's collective in this process
// use the algorithm name (one of collective.Algorithms()[k]), by setting
// AlgorithmVar(k), which package collective reads at each call. Each rank
// of a job must force the same algorithm; call it before the benchmark's
// first collective. It fails, wrapping ErrOptions, for a point-to-point
// benchmark or a name the operation does not have.
func ForceAlgorithm(k Kind, name string) error {
	if !k.Collective() {
		return fmt.Errorf("benchmark %s has no algorithms to choose: %w", k, ErrOptions)
	}
	names := collective.Algorithms()[string(k)]
	if !slices.Contains(names, name) {
		return fmt.Errorf("%s has no algorithm %q (want one of %v): %w", k, name, names, ErrOptions)
	}
	if err := os.Setenv(AlgorithmVar(k), name); err != nil {
		return fmt.Errorf("force algorithm %s of %s: %w", name, k, err)
	}
	return nil
}

// ListAlgorithms returns one line per collective operation, sorted by
// operation: "allreduce: recursive_doubling rabenseifner ring linear".
func ListAlgorithms() []string {
	algs := collective.Algorithms()
	var out []string
	for _, op := range slices.Sorted(maps.Keys(algs)) {
		out = append(out, op+": "+strings.Join(algs[op], " "))
	}
	return out
}
