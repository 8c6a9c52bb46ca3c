// Package pmi speaks PMI-1, the "simple PMI" v1.1 wire protocol through
// which MPICH's Hydra (mpiexec) and Slurm's pmi2 plugin (srun --mpi=pmi2)
// bootstrap the ranks of a parallel job, and, as a client, PMI-2. The
// package has both ends: a Server and a Client. Because the wire is the
// standard one, mpiexec can launch spmd programs and spmdrun can launch
// MPICH programs.
//
// # Who uses it
//
// The launcher (package launcher) runs a Server for each job, and one per
// node behind its proxies. The runtime (package comm) is a client in
// comm.Init (ConnectFromEnv), and in a Slurm step without PMI its rank 0
// runs a Server of its own for the other ranks. PMI is thus the protocol
// between the runtime and any process manager, and the package sits below
// both, as MPICH keeps its src/pmi apart from its launcher, src/pm/hydra:
// the runtime does not import the launcher, and a rank binary carries the
// PMI code alone.
//
// # The protocol
//
// A rank talks to its process manager over one stream: a connected Unix
// socket it inherits (its number is in PMI_FD; PMI_RANK and PMI_SIZE give
// rank and job size), or a TCP connection to PMI_PORT on which it first
// identifies itself with `cmd=initack pmiid=<PMI_ID>`. Each message is one
// line of space-separated key=value tokens, the first of which is
// cmd=<name>:
//
//	cmd=init pmi_version=1 pmi_subversion=1
//	cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1
//	cmd=put kvsname=kvs_42_0 key=P0-card value=10.0.0.1:4000
//	cmd=put_result rc=0
//
// The protocol is lock-step: one request, then its reply. Replies carry
// rc=0 on success and rc!=0 with msg= on failure. Values cannot contain
// spaces (Slurm's parser has no escapes), so callers encode binary data as
// hex or base64.
//
// A job shares one key-value space (KVS). Each rank puts its business card
// (say, the address it listens on), enters the barrier, and then gets the
// others' cards. Keys are written once. A put becomes visible to the other
// ranks only when the barrier after it has completed. The server also
// answers get for two job attributes: PMI_process_mapping, which tells which
// ranks share a node in the form "(vector,(node,nodes,ranks-per-node),...)",
// and universeSize. Keys beginning with PMI_ are reserved.
//
// A rank ends with finalize. Hydra takes a rank whose PMI connection closes
// without finalize to have failed and kills the job, so a rank must
// finalize before it exits, or send abort to end the job on purpose.
//
// # What is implemented
//
// Commands: init, get_maxes, get_universe_size, get_appnum, get_my_kvsname,
// put, get, barrier_in, finalize, abort, and the PMI_PORT initack
// handshake. Not implemented: spawn (the multi-line mcmd form),
// publish_name, unpublish_name and lookup_name; the Server answers them as
// unknown commands. The Server speaks PMI-1 only: a client that asks for
// version 2 in init is refused. ConnectFromEnv also speaks PMI-2 (for srun
// --mpi=pmi2), and picks the wire (see Version).
//
// The Client is written for the strictest server it may meet. Slurm reads
// each request with a single read() of at most 1024 bytes, so the Client
// writes each request with one Write, never sends a second before the
// first is answered, and keeps each line shorter than MaxLineLen bytes. In
// replies it accepts a missing rc (as success), rc in any position, and
// keys it does not know.
//
// The Server is lenient in what it parses (it accepts the lines MPICH's
// client sends) and strict in what it keeps: a line longer than MaxLineLen,
// with non-printable bytes or without cmd= is refused with an error reply
// and logged, never a panic, and a line too long to find its end closes the
// connection. Each rank is served on its own goroutine, so a slow or broken
// rank delays no other. A barrier fails, rather than hangs, when a rank's
// connection ends or the Server is closed.
//
// # PMI-2
//
// A PMI-2 session starts with the PMI-1 line `cmd=init pmi_version=2
// pmi_subversion=0`; from its answer on, every message is a six-byte
// decimal length and a payload of ';'-terminated key=value pairs, and the
// commands are PMI-2's: fullinit, job-getid, kvs-put, kvs-fence, kvs-get,
// info-getjobattr, finalize, abort. Every reply carries rc. The client
// sends no ';' in keys or values (only the original PMI-2 code undid its
// escape) and no '=' in keys.
//
// Both clients share one lock-step connection (one request, then its
// reply; a failure that leaves the stream out of step is sticky; Close and
// Abort do not wait for a request in flight), with a codec for each wire:
// newline-terminated lines for PMI-1, length-prefixed frames for PMI-2.
//
// References: Flux RFC 13 (a written specification of PMI-1 wire protocol
// v1.1), MPICH's src/pmi/maint/pmi-1.1.txt, and for PMI-2 the client in
// MPICH's src/pmi and the server in Slurm's src/plugins/mpi/pmi2.
package pmi
