package osu

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a benchmark ran, for the header of its output.
type Machine struct {
	Host      string `json:"host"`
	CPU       string `json:"cpu"`   // model name from /proc/cpuinfo
	Cores     int    `json:"cores"` // logical CPUs
	OS        string `json:"os"`    // GOOS/GOARCH
	GoVersion string `json:"go"`
	Transport string `json:"transport"` // SPMD_TRANSPORT, "auto" when unset
	Date      string `json:"date"`      // RFC 3339, local time
}

// ThisMachine describes the running process's machine at time now. Facts
// that cannot be read are left as "unknown".
func ThisMachine(now time.Time) Machine {
	m := Machine{
		Host: "unknown", CPU: "unknown", Cores: runtime.NumCPU(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, GoVersion: runtime.Version(),
		Transport: os.Getenv("SPMD_TRANSPORT"), Date: now.Format(time.RFC3339),
	}
	if h, err := os.Hostname(); err == nil {
		m.Host = h
	}
	if m.Transport == "" {
		m.Transport = "auto"
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		if cpu, err := cpuModel(f); err == nil {
			m.CPU = cpu
		}
	}
	return m
}

// cpuModel returns the first "model name" of a /proc/cpuinfo listing.
func cpuModel(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read cpuinfo: %w", err)
	}
	return "", fmt.Errorf("no model name in cpuinfo: %w", os.ErrNotExist)
}
