// Package compare turns the raw outputs of repeated benchmark runs (OSU-like
// tables from spmdbench and from the MPI peer bench/peers/osu_pt2pt.c) into
// one comparison table: the median over rounds per implementation and
// message size, and the ratio of one implementation to a baseline.
package compare
