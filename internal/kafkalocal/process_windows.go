package kafkalocal

import (
	"errors"
	"syscall"
)

// ErrWindows is returned on native Windows, which has no process groups
// or signals for the local brokers.
var ErrWindows = errors.New("kafkalocal: real Kafka brokers run on Linux and macOS only; on Windows, run prodlab inside WSL2")

func procAttr(bool) (*syscall.SysProcAttr, error) { return nil, ErrWindows }

func signalGroup(int, syscall.Signal) error { return ErrWindows }

func alive(int) bool { return false }
