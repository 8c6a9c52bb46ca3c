package collective

import "github.com/spmd-go/spmd/comm"

// Profiling. When the program's communicator is profiled, begin reads the
// profile clock and done reports the call, once, under the Go name of the
// function the program called and with the algorithm that ran; the
// messages of the algorithm go over the collective view, which is never
// profiled. Each exported function notes its buffer's size (and root)
// for the report with note. A non-blocking collective reports its start
// at once (detach): the time its goroutine then runs is not time the
// program spent in spmd.

// goName returns the Go name of the call named name ("allreduce":
// "Allreduce"), or name itself for one it does not know. It runs once per
// profiled call: a switch, which compares the name with a few constants,
// costs less there than hashing it for a map.
func goName(name string) string {
	switch name {
	case "allgather":
		return "Allgather"
	case "allgatherv":
		return "Allgatherv"
	case "allreduce":
		return "Allreduce"
	case "allreduce_obj":
		return "AllreduceObj"
	case "alltoall":
		return "Alltoall"
	case "alltoallv":
		return "Alltoallv"
	case "barrier":
		return "Barrier"
	case "bcast":
		return "Bcast"
	case "gather":
		return "Gather"
	case "gatherv":
		return "Gatherv"
	case "neighbor alltoall":
		return "NeighborAlltoall"
	case "neighbor alltoallv":
		return "NeighborAlltoallv"
	case "neighbor allgather":
		return "NeighborAllgather"
	case "neighbor allgatherv":
		return "NeighborAllgatherv"
	case "bcastobj":
		return "BcastObj"
	case "gatherobj":
		return "GatherObj"
	case "scatterobj":
		return "ScatterObj"
	case "allgatherobj":
		return "AllgatherObj"
	case "reduce":
		return "Reduce"
	case "reduce_scatter":
		return "ReduceScatter"
	case "reduce_scatter_block":
		return "ReduceScatterBlock"
	case "scan":
		return "Scan"
	case "exscan":
		return "Exscan"
	case "scatter":
		return "Scatter"
	case "scatterv":
		return "Scatterv"
	}
	return name
}

// note records the size in bytes of the caller's buffer and the call's
// root (-1 for none), for the profile.
func (x *call) note(bytes, root int) { x.bytes, x.root = bytes, root }

// sizeOf is the size of s in bytes.
func sizeOf[T comm.Scalar](s []T) int { return len(s) * comm.SizeOf[T]() }

// detach reports the start of the non-blocking collective op (its Go name,
// "Ibcast") as a call of its own, ending now, and stops the profiling of
// x, whose algorithm runs on a goroutine of its own; the program's Wait
// or Test on req is then counted as comm's are.
func (x *call) detach(op string, req *comm.Request) {
	if x.prof != nil {
		x.prof.End(x.user, x.start, op, "", x.bytes, x.root)
		x.prof.Timed(x.user, req)
		x.prof = nil
	}
}
