package bench

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// Linux architecture Go supports.
const clockTick = 100

// procStat returns the user+system CPU time of process pid, every thread
// included, from /proc/<pid>/stat.
func procStat(pid int) (time.Duration, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	s, err := p.Stat()
	return time.Duration(s.UTime+s.STime) * time.Second / clockTick, err
}

// procMemory returns the resident memory of process pid (VmRSS) and its
// peak so far (VmHWM), in bytes.
func procMemory(pid int) (rss, peak uint64, err error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, err
	}
	s, err := p.NewStatus()
	return s.VmRSS, s.VmHWM, err
}

// loadavg returns the 1, 5 and 15 minute load averages, or "".
func loadavg() string {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return ""
	}
	l, err := fs.LoadAvg()
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%.2f %.2f %.2f", l.Load1, l.Load5, l.Load15)
}

// cpuModel returns the first CPU's model name from /proc/cpuinfo, or "".
func cpuModel() string {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return ""
	}
	cpus, err := fs.CPUInfo()
	if err != nil || len(cpus) == 0 {
		return ""
	}
	return cpus[0].ModelName
}
