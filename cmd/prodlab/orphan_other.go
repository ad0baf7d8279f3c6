//go:build !linux

package main

// exitWithGoRun does nothing outside Linux: stop the lab with Ctrl-C or
// 'prodlab down'.
func exitWithGoRun() {}
