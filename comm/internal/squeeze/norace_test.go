//go:build !race

package squeeze

const raceEnabled = false
