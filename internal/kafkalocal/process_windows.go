package kafkalocal

import (
	"errors"
	"os"
	"syscall"
)

// ErrWindows is returned on native Windows, where the local brokers'
// process handling (process groups, signals, flock) does not exist.
var ErrWindows = errors.New("kafkalocal: real Kafka brokers run on Linux and macOS only; on Windows, run prodlab inside WSL2")

func procAttr(bool) (*syscall.SysProcAttr, error) { return nil, ErrWindows }

func tryLock(*os.File) (busy bool, err error) { return false, ErrWindows }

func unlock(*os.File) {}

func signalGroup(int, syscall.Signal) error { return ErrWindows }

func alive(int) bool { return false }
