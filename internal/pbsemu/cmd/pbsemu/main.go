// Command pbsemu is an emulated PBS server (OpenPBS or Torque) for tests:
// qsub, qstat, qdel, pbsdsh and pbs_tmrsh, and the per-host mom. See
// package pbsemu.
package main

import (
	"os"

	"github.com/spmd-go/spmd/internal/pbsemu"
)

func main() {
	os.Exit(pbsemu.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
