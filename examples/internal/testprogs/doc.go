// Package testprogs holds small SPMD programs that the examples' tests run
// through spmdrun to check how a job behaves when things go wrong: a rank
// that dies, strangers that connect to a rank's port; amdahl follows a
// known scaling law, for the tests of spmdbench scale. They are test
// fixtures, not examples to learn from.
package testprogs
