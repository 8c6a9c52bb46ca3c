package osu

import (
	"fmt"
	"strings"
)

// Kind names one benchmark: a point-to-point one (two ranks) or a
// collective one (any number of ranks).
type Kind string

// The point-to-point benchmarks.
const (
	Latency     Kind = "latency"   // one-way latency of a blocking ping-pong, µs
	Bandwidth   Kind = "bandwidth" // unidirectional windowed bandwidth, MB/s
	BiBandwidth Kind = "bibw"      // bidirectional windowed bandwidth, MB/s
	// ObjLatency is Latency with comm.SendObj and comm.RecvObj of a
	// []byte of the size, received into one variable throughout: the
	// object path, like mpi4py's pickled lower-case send and recv.
	ObjLatency Kind = "objlatency"
)

// The collective benchmarks (osu_allreduce, osu_bcast, …): average latency
// of one call, µs. The names are those of collective.Algorithms' operations.
const (
	Allreduce     Kind = "allreduce"      // Allreduce of size/8 float64, Sum
	Reduce        Kind = "reduce"         // Reduce of size/8 float64 to rank 0, Sum
	Bcast         Kind = "bcast"          // Bcast of size bytes from rank 0
	Barrier       Kind = "barrier"        // Barrier (one row, size 0)
	Gather        Kind = "gather"         // Gather of size bytes per rank to rank 0
	Scatter       Kind = "scatter"        // Scatter of size bytes per rank from rank 0
	Allgather     Kind = "allgather"      // Allgather of size bytes per rank
	Alltoall      Kind = "alltoall"       // Alltoall of size bytes per pair of ranks
	ReduceScatter Kind = "reduce_scatter" // ReduceScatter of size/8 float64 in all, Sum
	// ObjAllreduce is collective.AllreduceObj of a []float64 of size/8
	// elements with an element-wise sum that returns a new slice, like
	// mpi4py's lower-case allreduce of a NumPy array with MPI.SUM.
	ObjAllreduce Kind = "objallreduce"
)

// Kinds lists the point-to-point benchmarks, in the order they are
// documented.
var Kinds = []Kind{Latency, Bandwidth, BiBandwidth, ObjLatency}

// CollectiveKinds lists the collective benchmarks, in the order they are
// documented.
var CollectiveKinds = []Kind{Allreduce, Reduce, Bcast, Barrier, Gather, Scatter, Allgather, Alltoall, ReduceScatter, ObjAllreduce}

// ParseKind returns the Kind named s ("bw" is accepted for Bandwidth,
// "reduce-scatter" for ReduceScatter).
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ReplaceAll(strings.ToLower(s), "-", "_"))
	switch k {
	case Latency, Bandwidth, BiBandwidth, ObjLatency,
		Allreduce, Reduce, Bcast, Barrier, Gather, Scatter, Allgather, Alltoall, ReduceScatter, ObjAllreduce:
		return k, nil
	case "bw":
		return Bandwidth, nil
	}
	return "", fmt.Errorf("unknown benchmark %q (want one of %v or %v): %w", s, Kinds, CollectiveKinds, ErrOptions)
}

// Collective reports whether k is a collective benchmark.
func (k Kind) Collective() bool {
	switch k {
	case Allreduce, Reduce, Bcast, Barrier, Gather, Scatter, Allgather, Alltoall, ReduceScatter, ObjAllreduce:
		return true
	}
	return false
}

// reduction reports whether k's data are float64 elements combined with Sum
// (size/8 of them), rather than bytes moved.
func (k Kind) reduction() bool {
	return k == Allreduce || k == Reduce || k == ReduceScatter || k == ObjAllreduce
}

// Title is the benchmark's one-line description, as the first line of its
// table.
func (k Kind) Title() string {
	switch k {
	case Latency:
		return "OSU-method Latency Test"
	case Bandwidth:
		return "OSU-method Bandwidth Test"
	case BiBandwidth:
		return "OSU-method Bi-Directional Bandwidth Test"
	case ObjLatency:
		return "OSU-method Object Latency Test (SendObj/RecvObj of []byte)"
	case ObjAllreduce:
		return "OSU-method Object Allreduce Latency Test (AllreduceObj of []float64)"
	}
	if k.Collective() {
		return "OSU-method " + k.mpiName() + " Latency Test"
	}
	return string(k)
}

// mpiName is the MPI function a collective benchmark measures.
func (k Kind) mpiName() string {
	names := map[Kind]string{
		Allreduce: "MPI_Allreduce", Reduce: "MPI_Reduce", Bcast: "MPI_Bcast", Barrier: "MPI_Barrier",
		Gather: "MPI_Gather", Scatter: "MPI_Scatter", Allgather: "MPI_Allgather",
		Alltoall: "MPI_Alltoall", ReduceScatter: "MPI_Reduce_scatter", ObjAllreduce: "AllreduceObj",
	}
	return names[k]
}

// Column is the heading of the value column, e.g. "Latency (us)"; for
// collectives "Avg Latency(us)", as OSU writes it.
func (k Kind) Column() string {
	switch {
	case k == Latency || k == ObjLatency:
		return "Latency (us)"
	case k.Collective():
		return "Avg Latency(us)"
	}
	return "Bandwidth (MB/s)"
}

// Unit is the unit of the values: "us" or "MB/s".
func (k Kind) Unit() string {
	if k.LowerIsBetter() {
		return "us"
	}
	return "MB/s"
}

// LowerIsBetter reports whether a smaller value is a better result.
func (k Kind) LowerIsBetter() bool { return k == Latency || k == ObjLatency || k.Collective() }
