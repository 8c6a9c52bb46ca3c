// Package comm is spmd's rank runtime: MPI-style point-to-point message
// passing between the ranks of an SPMD job. Package collective builds the
// collective operations on it.
//
// An SPMD job runs one program as several processes, its ranks, numbered
// from 0. The launcher (spmdrun, MPICH's mpiexec, srun) starts them; each
// calls Init, which finds the others through the environment the launcher
// set and returns the world communicator:
//
//	w, err := comm.Init()
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer w.Finalize()
//	if w.Rank() == 0 {
//		err = comm.Send(w, []float64{1, 2, 3}, 1, 7)
//	} else if w.Rank() == 1 {
//		buf := make([]float64, 3)
//		st, err := comm.Recv(w, buf, comm.AnySource, comm.AnyTag)
//		_ = st.Source // 0
//	}
//
// A program run without a launcher is a world of one rank, so the same
// binary runs alone or in a job.
//
// # Communicators
//
// A communicator (Comm) is a group of ranks and a context in which their
// messages match: a message sent on one communicator is received only on
// the same communicator, whatever the wildcards. Rank and Size say where
// the caller stands in it; WorldRank translates a rank back to the world.
//
// The world communicator, from Init, holds every rank. Split partitions a
// communicator by color (ranks that pass the same color form a new one,
// ordered by key), and Dup copies one with a fresh context, which is how a
// library keeps its traffic apart from its caller's. Both are collective:
// every member of the parent calls them. Free releases a communicator
// made so, collectively too; a program that makes communicators in a loop
// must free them, or it holds their state for ever. Free requires every
// operation on the communicator to be complete, and reports one that is
// not (ErrPending) rather than letting it match a later communicator.
// Using a freed communicator fails with ErrComm. A nil *Comm is MPI's
// null communicator: what Split returns to a rank that passes Undefined.
//
// Each communicator has a second, private context for its collectives, so
// that collective traffic never meets point-to-point traffic. Packages
// above comm cache values on a communicator (NewKeyval, Attr, AttrOrInit),
// as MPI's attribute caching does; Free drops them.
//
// # Starting and ending
//
// Init joins the job that the environment describes: through PMI when
// launched by spmdrun, MPICH's mpiexec or srun --mpi=pmi2; through a
// key-value server of rank 0's own in a Slurm step without PMI; otherwise
// as a world of one. Join does the same over any Bootstrap (package
// commtest runs a whole job's ranks as goroutines in one process that
// way, for tests).
//
// Finalize belongs to the world communicator: it is collective over every
// rank, waits until all have called it so that no message in flight is
// lost, then closes the connections and tells the launcher. Calling it on
// another communicator is an error (ErrComm). Complete every request
// first. After Finalize every operation fails with ErrFinalized. Abort ends
// the whole job at once, as MPI_Abort does.
//
// # Point-to-point
//
// Messages are slices of Go numbers (any Scalar type), sent as their bytes
// without encoding; ranks of one job must share byte order and type sizes.
// Values of any other type travel through SendObj and RecvObj, like
// mpi4py's lower-case API: []byte, strings, numeric slices and scalars and
// encoding.BinaryMarshaler values as their bytes, anything else with gob,
// whose type descriptions go once per communicator and pair of ranks.
//
// Send returns when its buffer may be reused; Ssend only once the receiver
// has matched the message. Recv blocks until a matching message has
// arrived. Isend, Issend and Irecv start the same operations and return a
// Request at once: Wait or Test it (or WaitAll, WaitAllStatus, WaitAny)
// before touching the buffer. Sendrecv sends and receives at once, so
// that exchanges in a ring or a halo cannot deadlock whatever the sizes.
// Probe and Iprobe look at the next matching message without receiving
// it. Requests can be waited for with a context (WaitContext,
// ProbeContext).
//
// The rules are MPI's (MPI 4.1 §3):
//
//   - Messages from one sender on one communicator with one tag are
//     received in the order sent (non-overtaking); AnySource and AnyTag
//     match the earliest eligible message; of two posted receives that
//     match a message, the one posted first takes it.
//   - A receive buffer shorter than the message gets its first bytes and
//     an error wrapping ErrTruncate; nothing else is lost.
//   - ProcNull as a source or destination makes the operation a no-op that
//     completes at once, which spares a stencil's boundary ranks special
//     cases.
//   - Memory stays bounded whatever the program does. A message up to the
//     eager limit is sent at once, and the receiver buffers it if no
//     receive is posted, within a credit window per sender; larger
//     messages, and small ones once the window is used up, wait in the
//     sender until the receiver posts a matching receive (rendezvous), and
//     their data lands straight in the posted buffer.
//   - A peer that dies makes every operation that depends on it fail
//     promptly with an error wrapping ErrPeerLost (a *PeerLostError naming
//     the rank): receives from it, AnySource receives on communicators
//     that hold it, sends to it. Messages from it that had already arrived
//     can still be received. Under spmdrun this holds for a peer this rank
//     never talked to as well: spmdrun tells every rank of a death (the
//     cause is then a *LauncherReportError; see Inside).
//   - Every function and method is safe for concurrent use by many
//     goroutines (MPI_THREAD_MULTIPLE).
//
// Errors are tested with errors.Is against ErrTruncate, ErrRank, ErrTag,
// ErrPeerLost, ErrFinalized, ErrCanceled, ErrComm, ErrPending and ErrArg.
// Bad arguments return an error before anything is sent.
//
// # Environment variables
//
// Init reads these (Join takes the same settings as a Config; ConfigFromEnv
// reads the SPMD_* ones that Config holds):
//
//	variable              default           meaning
//	SPMD_TRANSPORT        auto              auto: shared memory with ranks on this
//	                                        host, TCP with the others; shm: as auto,
//	                                        but failing to set up shared memory is
//	                                        an error; tcp: TCP with every peer
//	SPMD_EAGER_LIMIT      65536             largest message sent eagerly, in bytes
//	SPMD_SHM_EAGER_LIMIT  ring / 8          the same between ranks on one host that
//	                                        may copy from each other's memory;
//	                                        default an eighth of the ring,
//	                                        between 4096 and 32768
//	SPMD_EAGER_WINDOW     4194304           unexpected eager bytes a rank buffers
//	                                        per sender before senders fall back to
//	                                        rendezvous
//	SPMD_SHM_RING         from the ranks    bytes of each shared-memory ring (a
//	                      on the host       power of two, at least 4096); default
//	                                        262144 up to 16 ranks per host,
//	                                        halving as they grow, 16384 from 46
//	SPMD_SHM_CMA          on                off: large messages on one host go in
//	                                        chunks through the ring instead of one
//	                                        cross-memory-attach copy; pull: the
//	                                        receiver makes that copy alone (on:
//	                                        a waiting sender copies half)
//	SPMD_HOST             host name         the host name a rank publishes; ranks
//	                                        with the same name and kernel use
//	                                        shared memory
//	SPMD_TCP_ADDR         all interfaces    the address to listen on and publish
//	SPMD_CONNECT_TIMEOUT  60s               bound on making a link, when a rank
//	                                        first talks to a peer (a Go duration)
//	SPMD_COMPRESS         off               s2 or zstd: compress the data of
//	                                        messages above the eager limit on
//	                                        TCP links (see Compression below)
//	SPMD_COOKIE           set by spmdrun    the job's secret, at least 32 hex
//	                                        digits; without it rank 0 makes one
//	                                        and shares it through the bootstrap
//	SPMD_PMI              auto              1: PMI-1 only; 2: PMI-2 only (over
//	                                        PMI_FD); auto: PMI-1, switching to
//	                                        PMI-2 when the server speaks it
//	SPMD_SLURM_PORT       from the job and  port of rank 0's key-value server in a
//	                      step ids          Slurm step without PMI
//	SPMD_DIAG             on                off: the rank ignores SIGUSR1 instead
//	                                        of reporting what it is blocked in
//	SPMD_LOCAL_SIZE       set by spmdrun    ranks on this host (MPICH's
//	                                        MPI_LOCALNRANKS serves too): unless
//	                                        GOMAXPROCS is set, each rank takes
//	                                        its share of the host's cores; it
//	                                        also sizes the rings (without it,
//	                                        Init reads every rank's card)
//	SPMD_HOST_CPUS        set by spmdrun    the host's CPU count, when the launcher
//	                                        bound each rank to one CPU
//	SPMD_NOTIFY_FD        set by spmdrun    the descriptor on which the launcher
//	                                        tells the rank of other ranks' deaths
//	                                        (see Inside)
//	GOMAXPROCS            cores / ranks     set it to choose the rank's threads
//	SPMD_SYSMON           auto              idle: Init moves the Go runtime's
//	                                        monitor thread to Linux's idle
//	                                        scheduling class; normal: it does
//	                                        not; auto: idle when the host has a
//	                                        core per rank (see Inside)
//	SPMD_PROFILE          off               a directory: profile the rank (see
//	                                        Profiles and traces below)
//	SPMD_TRACE            off               a directory: profile and also trace
//	SPMD_TRACE_LIMIT      10⁶ / ranks       most trace events one rank keeps (at
//	                                        least 1000 by default); more are
//	                                        counted as dropped
//	SPMD_COLLECTOR        set by spmdrun    the launcher's profile collector
//	                                        (host:port); without it the rank
//	                                        writes DIR/rank-N.spmdprof itself
//	SPMD_CLOCK_SKEW       0                 for testing only: shift every time
//	                                        the rank records by a Go duration
//	                                        (+3s, -2s), to prove that the
//	                                        launcher's clock correction works on
//	                                        one machine; never set it otherwise
//
// The launcher sets PMI_FD, PMI_PORT, PMI_RANK and PMI_SIZE, or Slurm its
// SLURM_* variables, which Init reads to find the job; a malformed one is
// an error, never a silent world of one. Package collective reads
// SPMD_COLL_<OP> (see its documentation).
//
// # Profiles and traces
//
// spmdrun --profile DIR (or SPMD_PROFILE=DIR under another launcher) makes
// every rank time every spmd call it makes, with no rebuild: each
// point-to-point call, probe, wait and collective counts once under the
// Go name of the function the program called ("Send", "WaitAll",
// "Allreduce"), with its time, longest call, bytes and a histogram of
// message sizes; a collective's own messages are not calls of their own,
// and a non-blocking call counts its start (Isend, Iallreduce) apart from
// the Wait or Test that completes it. Making and freeing communicators
// counts too, once per call (Split, Dup, CartCreate, CartSub, Free: a
// CartCreate is not also a Split). Each rank also counts the messages and
// bytes it sent to every other rank, collectives' internal messages
// included (the communication matrix), and the time from Init to Finalize
// and inside spmd calls. Region marks the program's own phases. At
// Finalize the rank hands its data to spmdrun, or, without spmdrun, writes
// DIR/rank-N.spmdprof, which Init checks it can create (a directory that
// cannot be written is an error from Init). When spmdrun's --timeout
// stops the job first, every rank still running hands over what it has so
// far, marked partial (calls then under way are not in it).
//
// spmdrun --trace DIR (SPMD_TRACE=DIR) also records each call and region
// as an event with its peer, tag, bytes, communicator and, for a
// collective, its algorithm, in a buffer allocated at Init and bounded by
// SPMD_TRACE_LIMIT; events beyond it are counted, not kept. Init writes
// to every page of the buffer (64 bytes an event; of its first million
// events when the limit is higher), so that its memory is committed then
// and no call pays a page fault for it. Senders and
// receivers number the messages on each link in the order they travel,
// so the trace can join every send to its receive without a byte more on
// the wire. The launcher measures each rank's clock against its own at
// Init and Finalize and corrects the timestamps.
//
// Profiling off costs each call one predictable branch and no clock
// reading; on, a call reads the clock twice, takes a lock once and
// allocates nothing. The overhead measured is in the repository's
// bench/results/2026-12-06-profile-overhead.
//
// # From MPI
//
// The C binding's names and their counterparts here:
//
//	MPI                                 spmd
//	MPI_Init, MPI_Init_thread           comm.Init (always MPI_THREAD_MULTIPLE)
//	MPI_Finalize                        (*Comm).Finalize on the world
//	MPI_Abort                           (*Comm).Abort
//	MPI_COMM_WORLD                      the *Comm that Init returns
//	MPI_COMM_NULL                       a nil *Comm
//	MPI_Comm_rank, MPI_Comm_size        (*Comm).Rank, (*Comm).Size
//	MPI_Comm_split                      (*Comm).Split
//	MPI_Comm_dup                        (*Comm).Dup
//	MPI_Comm_free                       (*Comm).Free
//	MPI_UNDEFINED (split color)         comm.Undefined
//	MPI_Comm_create_keyval              comm.NewKeyval
//	MPI_Comm_get_attr, _set_attr        (*Comm).Attr, (*Comm).AttrOrInit
//	MPI_Send, MPI_Ssend, MPI_Recv       comm.Send, comm.Ssend, comm.Recv
//	MPI_Isend, MPI_Issend, MPI_Irecv    comm.Isend, comm.Issend, comm.Irecv
//	MPI_Sendrecv                        comm.Sendrecv
//	MPI_Request                         *comm.Request
//	MPI_Wait, MPI_Test                  (*Request).Wait, (*Request).Test
//	MPI_Waitall                         comm.WaitAllStatus; comm.WaitAll for
//	                                    MPI_STATUSES_IGNORE
//	MPI_Waitany                         comm.WaitAny
//	MPI_REQUEST_NULL                    a nil *Request (WaitAll and WaitAny
//	                                    skip it)
//	MPI_Cancel                          (*Request).Cancel (receives only)
//	MPI_Grequest_start                  comm.NewRequest
//	MPI_Probe, MPI_Iprobe               (*Comm).Probe, (*Comm).Iprobe
//	MPI_Status                          comm.Status
//	MPI_Get_count                       comm.Count[T]
//	MPI_ANY_SOURCE, MPI_ANY_TAG         comm.AnySource, comm.AnyTag
//	MPI_PROC_NULL                       comm.ProcNull
//	MPI_ERR_TRUNCATE, ...               comm.ErrTruncate, ... (errors.Is)
//	MPI_Datatype                        the slice's element type (Scalar);
//	                                    any other value by SendObj, RecvObj
//	MPI_Barrier, MPI_Bcast, ...         collective.Barrier, collective.Bcast, ...
//	MPI_IN_PLACE                        nil as the send buffer (package
//	                                    collective)
//	MPI_Op (MPI_SUM, ...)               collective.Op (collective.Sum, ...)
//	mpiexec -n 4 prog                   spmdrun -n 4 prog
//
// Not provided: derived datatypes (send slices of numbers, or values by
// SendObj), buffered and ready send modes (MPI_Bsend, MPI_Rsend),
// persistent requests, matched probes (MPI_Mprobe), groups and
// MPI_Comm_create, intercommunicators, process topologies, one-sided
// communication (MPI_Win_*), MPI-IO, dynamic processes (MPI_Comm_spawn),
// and the Fortran and C bindings: spmd is a Go library, not an MPI
// implementation.
//
// # Inside
//
// Wire-up. Each rank listens on a TCP port, publishes a business card
// (host name, kernel boot id, port, addresses, process id) through the
// bootstrap's key-value space, and fences once. It connects to nobody yet:
// a link to a peer is made when the rank first has a frame for it (a
// send, a rendezvous request, a collective's message) or the peer dials
// it, so a program that talks to its neighbours holds a connection per
// neighbour, whatever the size of the job. The first sender dials while
// later ones wait for it, within SPMD_CONNECT_TIMEOUT. Every connection
// starts with a challenge–response on the job's cookie, so a process that
// cannot prove it belongs to the job is dropped and logged, and then a
// short set-up exchange before any frame: when both ranks of a pair dial
// each other at once, both keep the connection the lower rank dialled, so
// nothing is sent on a connection that is then dropped. A waiting
// AnySource receive or probe takes messages from links made while it
// waits. Ranks on one host (the same host name and boot id) talk through
// shared memory: the dialler creates a small segment holding the pair's
// two rings and names it in the set-up, the peer maps it, both probe
// whether they may read each other's memory (Linux cross-memory attach,
// process_vm_readv), and the name is unlinked at once, so the segment
// stays in /dev/shm only for the moment of the set-up. Rings are sized
// from the number of ranks on the host, so that memory grows with the
// pairs that talk and stays bounded even if all of them do. The TCP
// connection of a shared-memory pair stays open and idle: it tells when
// the peer's process dies. A dial that finds nobody listening means the
// peer is gone: it is reported lost at once. A peer this rank never
// talked to has no connection to watch; its death reaches the rank
// through the launcher, and failing everything that depends on it then
// works as for a peer with a link.
//
// Transports. A rank reaches itself through a ring in its own memory,
// ranks on its host through shared-memory rings, and the others through
// TCP (SPMD_TRANSPORT forces one). Every transport carries the same
// frames: a fixed-size, versioned header, then the payload; a payload of
// up to 16 bytes rides inside the header, in fields only other kinds of
// frame use, so that on a ring the whole message fills one cache line.
// The header is decoded in one place, which checks every length against the limits
// before anything is allocated. On a ring each frame starts on a cache
// line behind a seal word that the writer stores last, so a small message
// and the word that says it is there cross between cores together; the
// reader handles a frame in place and clears the seals as it consumes
// them.
//
// Data path. A message up to the eager limit goes at once with its header
// (on TCP, header and payload in one write), within the sender's credit
// for that receiver; the receiver returns credit on its own frames as
// buffered messages are taken. A larger message, or one without credit,
// sends only its envelope (RTS). When a receive matches it, the receiver
// either copies the data straight out of the sender's buffer with
// process_vm_readv (on one host, when allowed) and says so, or grants it
// (CTS), and the data follows and is read straight into the posted
// buffer. On one host, from 128 KiB, when the host has a core for every
// rank and each rank may reach the other's memory, the receiver offers
// the second half of the copy to the sender, which writes it with
// process_vm_writev while the receiver reads the first; a word in the
// pair's segment decides which of them copies that half, so a sender busy
// elsewhere never holds the receiver up (SPMD_SHM_CMA=pull turns this
// off). So unexpected messages cost the receiver at most the window per
// sender, and two ranks can each send the other far more than the window
// before either receives.
//
// Compression. With SPMD_COMPRESS=s2 or zstd (klauspost/compress), the
// data of a rendezvous message on a TCP link goes in chunks of 1 MiB, each
// compressed on its own, so that the receiver decompresses one while the
// next is on the wire. Word data is first delta-coded and byte-shuffled
// (neighbouring values of a smooth float64 field then share long runs of
// zero bytes) when a sample of the message's first chunk says that helps.
// A chunk that does not save an eighth goes as it is, without a copy, and
// so does the rest of its message; after such a message the sender skips
// compressing for its next ones to that peer, twice as many each time it
// fails again (up to 64), so that random or already compressed data costs
// next to nothing. Every rank decodes compressed chunks whatever its own
// setting. It pays only where the wire is slower than the compressor
// (bench/results/2026-12-06-compress); shared memory is never compressed.
//
// Matching. Arriving envelopes and posted receives meet in a matching
// engine that knows nothing of connections: per context, a queue of
// posted receives and a queue of unexpected messages, both in arrival
// order, which is what makes non-overtaking and the wildcard rules hold.
// Negative tags are reserved for the runtime's own traffic, and AnyTag
// never matches them. Context ids are agreed by the members of the parent
// when a communicator is made (each proposes its lowest free id, the
// highest proposal wins, retried if some member has it in use), and
// reused after Free, which makes sure that no message of the freed
// communicator is left in flight to meet the next one.
//
// Progress and waiting. A goroutine that waits for a request reads its
// link itself for a while (no hand-off to another thread, no wake-up),
// then sleeps; a reader goroutine per link covers for the times when
// nobody waits, so messages progress while the program computes. Waiting
// on an empty ring spins briefly, yields, then sleeps: parked by Go's
// scheduler, which leaves the rank's other goroutines free to run, and
// woken by the peer through the pair's idle TCP connection. Blocking Send
// and Recv, and Isend of a message that goes at once, allocate nothing.
// When a host runs more ranks than cores, waiters yield sooner
// and poll longer before sleeping, as Open MPI's mpi_yield_when_idle
// does, because each sleep costs a chain of thread wake-ups that take
// cores from ranks doing work; and unless GOMAXPROCS is set, each rank
// runs its share of the host's cores. Go's runtime wakes its monitor
// thread every 20 µs for the first milliseconds after a rank turns busy,
// and on a host whose cores all run polling ranks each wake-up takes a
// core from a rank; so with a core per rank, Init moves that thread to
// Linux's idle class, where it runs only on a core with nothing else to
// do (SPMD_SYSMON). A launcher that times out sends SIGUSR1, and each rank reports
// the operations it is blocked in, with the spmd call the program made and
// the program's file:line that made it, and the stacks of its goroutines
// outside spmd (see SPMD_DIAG). The callers are taken only when a wait
// goes to sleep, and resolved only for a report.
//
// Peer death. A rank sees a peer die when its link to the peer breaks (the
// TCP connection closes; a shared-memory pair keeps one open, idle but for
// wake-ups, for this) and then fails what depends on the peer. A rank
// that never talked to the dead peer has no link to break, yet its
// AnySource receives and collectives may wait on that peer; so spmdrun,
// and each of its proxies for the ranks on its host, gives every rank the
// read end of a pipe (SPMD_NOTIFY_FD) and, as soon as a rank of the job
// ends without Finalize (it exits, is killed, calls Abort, or its host is
// lost), writes one line to every rank still running:
//
//	lost <rank> <cause>
//
// where cause is the launcher's words ("killed by signal SIGKILL"). A
// goroutine started by Join reads the lines and fails what depends on the
// lost rank, as a broken link would, with a *LauncherReportError as the
// cause; lines that arrive while Join is still wiring up act when it is
// done. Other launchers (srun, MPICH's mpiexec) set no SPMD_NOTIFY_FD:
// they end the whole job when a task dies, and a rank learns of a death
// only through its links.
//
// Performance figures, and how each design choice was measured, are in the
// repository's bench/results directory.
package comm
