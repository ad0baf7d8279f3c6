package bench

import (
	"fmt"
	"os"
	"runtime"
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
	var err error
	if m.RSS, m.PeakRSS, err = procMemory(os.Getpid()); err != nil {
		return m, fmt.Errorf("memory: %w", err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.HeapInuse = ms.HeapInuse
	return m, nil
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
	return Machine{Date: time.Now(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPU: cpuModel(), NumCPU: runtime.NumCPU(), MaxProcs: runtime.GOMAXPROCS(0), Load: loadavg()}
}
