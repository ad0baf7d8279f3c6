//go:build !linux

package bench

import (
	"errors"
	"time"
)

var errNoProc = errors.New("needs Linux's /proc")

func procStat(int) (time.Duration, error) { return 0, errNoProc }

func procRSS(int) (uint64, error) { return 0, errNoProc }
