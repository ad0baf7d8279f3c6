package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Memory is the process's memory at one moment.
type Memory struct {
	// RSS is the resident set (VmRSS in /proc/self/status), in bytes.
	RSS uint64
	// PeakRSS is the highest RSS of the process so far (VmHWM), in bytes.
	PeakRSS uint64
	// HeapInuse is the Go heap in use after a garbage collection, in bytes.
	// Memory held by C code, such as librdkafka's, is only in RSS.
	HeapInuse uint64
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
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
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
		for _, line := range strings.Split(string(b), "\n") {
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
