package launcher

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spmd-go/spmd/internal/pmi"
	"github.com/spmd-go/spmd/launcher/sched"
)

// placement returns where the job's ranks run: Job.Mapping, or every rank
// on this host.
func (j *Job) placement() *sched.Mapping {
	if j.Mapping != nil {
		return j.Mapping
	}
	n := j.N
	if n < 1 {
		n = 1
	}
	return &sched.Mapping{Hosts: []string{"localhost"}, Node: make([]int, n)}
}

// checkPlacement refuses a Mapping that disagrees with N.
func (j *Job) checkPlacement() error {
	m := j.Mapping
	if m == nil {
		return nil
	}
	if m.Size() == 0 {
		return fmt.Errorf("the mapping places no ranks")
	}
	if j.N != 0 && j.N != m.Size() {
		return fmt.Errorf("%d ranks but the mapping places %d", j.N, m.Size())
	}
	return nil
}

// processMapping is the PMI_process_mapping configuration for the job.
func (j *Job) processMapping() (value string, omit bool) {
	v, ok := j.placement().ProcessMapping(pmi.ValLenMax)
	return v, !ok
}

// IsLocalHost reports whether name denotes this machine: "localhost", a
// loopback address, this machine's host name (full or up to the first
// dot), or an address of one of its interfaces. It does no DNS lookups,
// so that a wrong guess costs no time; a host that is this machine under
// another name is taken as remote.
func IsLocalHost(name string) bool {
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	if ip := net.ParseIP(name); ip != nil {
		if ip.IsLoopback() {
			return true
		}
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return false
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return true
			}
		}
		return false
	}
	self, err := os.Hostname()
	if err != nil {
		return false
	}
	short := func(s string) string { h, _, _ := strings.Cut(s, "."); return h }
	return strings.EqualFold(name, self) || strings.EqualFold(short(name), short(self)) && !strings.Contains(name, ".")
}
