//go:build cgo && race

package main

// raceEnabled: the test binary has the race detector, so the programs the
// tests run are built with it too.
const raceEnabled = true
