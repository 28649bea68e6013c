//go:build !linux

package connector

import "os/exec"

// dieWithHost does nothing where there is no parent-death signal; the SDK's
// own watch on its parent ends the connector instead.
func dieWithHost(*exec.Cmd) {}

func startOnOwnThread(start func()) (release func()) {
	start()
	return func() {}
}

// runAs is never called here: a connector user is refused off Linux.
func runAs(*exec.Cmd, int, int) {}
