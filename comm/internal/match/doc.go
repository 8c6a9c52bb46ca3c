// Package match is spmd's matching engine: the pure core that pairs arriving
// messages with posted receives under MPI's rules, knowing nothing of sockets.
//
// Transports report arrivals (an envelope, and for eager messages a payload
// that the caller reads into the buffer the engine names); user calls post
// receives, probe and cancel. The engine answers with what to do next: copy a
// buffered payload, grant a rendezvous, or wait. Because it is a plain data
// structure behind one mutex, its tests drive it deterministically.
//
// The rules it keeps (MPI 4.1 §3.5):
//   - non-overtaking: of two messages from one sender on one context that both
//     match a receive, the earlier one is taken; of two posted receives that
//     both match a message, the earlier-posted one takes it;
//   - AnySource and AnyTag match the earliest eligible message; AnyTag never
//     matches the negative tags reserved for internal traffic;
//   - contexts never match each other.
package match
