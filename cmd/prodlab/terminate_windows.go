package main

import "errors"

// terminate cannot stop another process cleanly on native Windows: there is
// no SIGTERM, and killing it would skip the flush of pending sends.
func terminate(int) error {
	return errors.New("on native Windows, stop the lab with Ctrl-C in its terminal (or run prodlab inside WSL2)")
}
