//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCStopsTheLab starts 'prodlab up' as a terminal's foreground job
// (its own process group) and sends SIGINT to the whole group, as Ctrl-C
// does: the lab stops as 'prodlab down' stops it, exit 0, with no ERROR
// line (the Toxiproxy child, in a group of its own, is stopped by the lab
// and not by the signal).
func TestCtrlCStopsTheLab(t *testing.T) {
	tmp := t.TempDir()
	bin := buildProdlab(t, tmp)
	logPath := filepath.Join(tmp, "lab.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, append([]string{"up", "--data-dir", filepath.Join(tmp, "data")}, freePortArgs...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	logText := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	if !waitFor(2*time.Minute, func() bool { return strings.Contains(logText(), "prodlab is up") }) {
		t.Fatalf("lab not up after 2m:\n%s", logText())
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("lab exited with %v after Ctrl-C, want 0:\n%s", err, logText())
		}
	case <-time.After(time.Minute):
		t.Fatalf("the lab still runs a minute after Ctrl-C:\n%s", logText())
	}
	if out := logText(); strings.Contains(out, "ERROR") {
		t.Fatalf("an ERROR line after Ctrl-C:\n%s", out)
	}
	t.Logf("after Ctrl-C:\n%s", logText())
}
