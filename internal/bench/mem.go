package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Memory is the process's memory at one moment, in bytes: the resident
// set (VmRSS), its peak so far (VmHWM), and the Go heap in use after a
// garbage collection (C memory, such as librdkafka's, is only in RSS).
type Memory struct {
	RSS, PeakRSS, HeapInuse uint64
}

// readMemory reads RSS first, then collects garbage and reads the Go heap.
func readMemory() (Memory, error) {
	var m Memory
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m, fmt.Errorf("memory: %w", err)
	}
	m.RSS, m.PeakRSS = statusKB(b, "VmRSS:"), statusKB(b, "VmHWM:")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.HeapInuse = ms.HeapInuse
	return m, nil
}

// statusKB returns the value of a "Name:   123 kB" line of /proc/self/status
// in bytes, or 0.
func statusKB(status []byte, name string) uint64 {
	for line := range strings.Lines(string(status)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == name {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			return n * 1024
		}
	}
	return 0
}

// Machine describes where a report was measured.
type Machine struct {
	Date      time.Time
	GoVersion string
	OS, Arch  string
	CPU       string // model name from /proc/cpuinfo
	NumCPU    int
	MaxProcs  int
	Load      string // /proc/loadavg when the run started
	LoadEnd   string // and when it ended
}

func machine() Machine {
	m := Machine{Date: time.Now(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), MaxProcs: runtime.GOMAXPROCS(0), Load: loadavg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// loadavg returns the 1, 5 and 15 minute load averages, or "".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
