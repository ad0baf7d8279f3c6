//go:build !linux

package bench

import (
	"errors"
	"time"
)

var errNoProc = errors.New("needs Linux's /proc")

func procStat(int) (time.Duration, error) { return 0, errNoProc }

func procMemory(int) (rss, peak uint64, err error) { return 0, 0, errNoProc }

func loadavg() string { return "" }

func cpuModel() string { return "" }
