#!/bin/sh
# Runs on every node of the parallel job. Node 0 is the root: its spmdrun
# finds the nodes through the contact files and starts the ranks; every
# other node joins it as a per-node proxy.
module load go
cd "$HOME/run" || exit 1
if [ "$_CONDOR_PROCNO" = 0 ]; then
	exec spmdrun -x OMP_NUM_THREADS=1 -x 'GREETING=hello world' -x OMP_PLACES -x NOTE -x SPMD_ARRAY_INDEX ./pi -n 1000000 'it'\''s quoted'
fi
exec spmdrun --join
