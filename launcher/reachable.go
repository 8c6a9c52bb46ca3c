package launcher

import "net"

// ReachableAddrs lists the addresses ("host:port") at which processes on
// other hosts may reach a listener at a: a itself if it is bound to one
// address, else every address of every interface that is up, loopback
// last — the list spmdrun gives its proxies, and its profile collector's
// ranks (SPMD_COLLECTOR).
func ReachableAddrs(a *net.TCPAddr) []string { return rootAddrs(a) }
