package pbsemu

import (
	"strings"
	"testing"
)

// FuzzScanDirectives checks that any script either is refused with an
// error or yields directives whose words hold no line feed unless the
// script's own continuation lines joined them, and never panics.
func FuzzScanDirectives(f *testing.F) {
	f.Add([]byte("#!/bin/sh\n#PBS -N a -l select=1:ncpus=2\n#PBS \"-o\" 'x y' \\\n -j oe\necho\n"), "#PBS")
	f.Add([]byte(":\n  #PBS -q q\r\n"), "#PBS")
	f.Add([]byte("#XX -N 'a\n"), "#XX")
	f.Fuzz(func(t *testing.T, script []byte, prefix string) {
		dirs, err := ScanDirectives(script, prefix)
		if err != nil {
			return
		}
		if strings.Contains(string(script), "\r\n") {
			t.Fatalf("a CR-LF script was accepted")
		}
		for _, d := range dirs {
			if len(d) == 0 {
				t.Fatalf("an empty directive")
			}
		}
	})
}

// FuzzResolveRequest checks that any -l value under either dialect is
// refused with an error or gives a request whose PBS_NODEFILE, once
// placed on hosts large enough, has Lines() lines; never a panic.
func FuzzResolveRequest(f *testing.F) {
	f.Add("select=2:ncpus=8:mpiprocs=8+1:ncpus=1,place=scatter:excl", false, false)
	f.Add("nodes=2:ppn=2+n1:ppn=1,walltime=1:00:00", true, true)
	f.Add("nodes=4:ppn=2:excl", false, true)
	f.Fuzz(func(t *testing.T, l string, torque, compat bool) {
		d := OpenPBS
		if torque {
			d = Torque
		}
		rs, err := ParseResourceList(l)
		if err != nil {
			return
		}
		req, err := ResolveRequest(d, rs, compat)
		if err != nil {
			return
		}
		if req.Lines() > 1<<16 || req.Nodes() > 64 {
			return
		}
		var hs []HostUse
		for _, c := range req.Chunks {
			if c.NCPUs > 1<<10 {
				return
			}
			name := c.Host
			if name == "" {
				name = "h"
			}
			for i := range c.Count {
				hs = append(hs, HostUse{Name: name + strings.Repeat("x", i), NCPUs: c.NCPUs * c.Count})
			}
		}
		if ps := Place(req, hs); ps != nil {
			if got := strings.Count(Nodefile(ps), "\n"); got != req.Lines() {
				t.Fatalf("nodefile has %d lines, want %d", got, req.Lines())
			}
		}
	})
}

// FuzzParseArray checks that accepted array ranges are non-empty, within
// the size bound and free of repeats.
func FuzzParseArray(f *testing.F) {
	f.Add("1-9:2%3", false)
	f.Add("1,3,5-7%2", true)
	f.Fuzz(func(t *testing.T, s string, torque bool) {
		d := OpenPBS
		if torque {
			d = Torque
		}
		a, err := ParseArray(d, s)
		if err != nil {
			return
		}
		if len(a.Indices) == 0 || len(a.Indices) > maxArrayIndices {
			t.Fatalf("%q: %d indices", s, len(a.Indices))
		}
		seen := map[int]bool{}
		for _, i := range a.Indices {
			if seen[i] || i < 0 {
				t.Fatalf("%q: index %d repeated or negative", s, i)
			}
			seen[i] = true
		}
	})
}
