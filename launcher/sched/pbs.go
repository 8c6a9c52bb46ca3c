package sched

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spmd-go/spmd/internal/hostlist"
)

// ParseNodefile reads a PBS node file (PBS_NODEFILE): one host name per
// line, one line per slot (Torque writes each host ppn times, OpenPBS
// mpiprocs times). Repeated names are merged into one host with one slot
// per line. Blank lines are ignored; name is used in errors only.
func ParseNodefile(name string, r io.Reader) ([]Host, error) {
	var l hostList
	err := eachLine(name, r, func(line string) error {
		line = strings.TrimSpace(line)
		if line == "" {
			return nil
		}
		if why := hostlist.CheckName(line); why != "" {
			return errors.New(why)
		}
		return l.add(line, 1, 0)
	})
	if err != nil {
		return nil, err
	}
	if len(l.hosts) == 0 {
		return nil, fmt.Errorf("%s: no hosts: %w", name, ErrSyntax)
	}
	return l.hosts, nil
}

// fromPBS reads a PBS/Torque/OpenPBS allocation from PBS_NODEFILE, checked
// against Torque's PBS_NP (the number of lines) when it is set.
func fromPBS(env func(string) string) (*Allocation, error) {
	path := env("PBS_NODEFILE")
	if path == "" {
		return nil, errors.New("PBS job (PBS_JOBID is set) but PBS_NODEFILE is not")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("PBS_NODEFILE: %w", err)
	}
	defer f.Close()
	hosts, err := ParseNodefile(path, f)
	if err != nil {
		return nil, fmt.Errorf("PBS_NODEFILE %w", err)
	}
	a := &Allocation{Hosts: hosts, Source: "PBS job " + env("PBS_JOBID") + " (PBS_NODEFILE=" + path + ")"}
	if np := env("PBS_NP"); np != "" && np != strconv.Itoa(a.Slots()) {
		return nil, fmt.Errorf("inconsistent PBS variables: PBS_NP=%s but PBS_NODEFILE %s has %d lines", np, path, a.Slots())
	}
	return a, nil
}
