// Package shm is spmd's shared-memory transport between ranks on one host.
//
// Two ranks of a host that talk share one small segment in /dev/shm
// holding the pair's two rings, one per direction (mode 0600). It is made
// when the pair first talks, by the rank that dials the other, and
// unlinked as soon as the other has mapped it, so the name lives only for
// the set-up, and a crash after that leaves nothing behind. Memory
// therefore grows with the pairs that talk, not with the square of the
// ranks on the host, and nothing is mapped for a pair that never talks;
// the rings' size is chosen from the number of ranks on the host so that
// even all pairs stay within a fixed budget (see comm's Config). This is
// what Open MPI's fast boxes do for small messages between busy pairs
// (made on first use, a ring per direction); here the pair's rings carry
// all of its traffic, and large messages skip them (below). A ring is a
// single-producer,
// single-consumer stream of frames: the producer copies a frame in and
// then stores its seal, a word in the frame's first cache line, so that a
// small message crosses between cores as one line; the consumer polls the
// next seal, copies the frame out (or reads it in place) and publishes its
// tail, on a cache line of its own. Rings carry spmd's ordinary frames, so
// everything above the transport (matching, eager and rendezvous, credits)
// is the same over shared memory and TCP.
//
// A side that finds the ring empty (or full) spins briefly, then yields,
// then sleeps on a futex in the shared segment that the other side wakes:
// latency stays low while messages flow, and an oversubscribed host (more
// ranks than cores) is not burned by spinning ranks.
//
// Large messages can skip the ring altogether: with Linux cross-memory
// attach (process_vm_readv) the receiver copies straight out of the
// sender's buffer, one copy instead of two. Whether the kernel allows it
// (ptrace policy, seccomp in containers) is probed per pair when its
// segment is set up.
package shm
