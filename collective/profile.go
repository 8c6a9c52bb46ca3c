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

// goNames maps a call's name (call.name) to the exported function's.
var goNames = map[string]string{
	"allgather": "Allgather", "allgatherv": "Allgatherv", "allreduce": "Allreduce",
	"allreduce_obj": "AllreduceObj", "alltoall": "Alltoall", "alltoallv": "Alltoallv",
	"barrier": "Barrier", "bcast": "Bcast", "gather": "Gather", "gatherv": "Gatherv",
	"neighbor alltoall": "NeighborAlltoall", "neighbor alltoallv": "NeighborAlltoallv",
	"neighbor allgather": "NeighborAllgather", "neighbor allgatherv": "NeighborAllgatherv",
	"bcastobj": "BcastObj", "gatherobj": "GatherObj", "scatterobj": "ScatterObj",
	"allgatherobj": "AllgatherObj", "reduce": "Reduce", "reduce_scatter": "ReduceScatter",
	"reduce_scatter_block": "ReduceScatterBlock", "scan": "Scan", "exscan": "Exscan",
	"scatter": "Scatter", "scatterv": "Scatterv",
}

// goName returns the Go name of the call named name, or name itself for
// one the table lacks.
func goName(name string) string {
	if g, ok := goNames[name]; ok {
		return g
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
