//go:build !linux

package connector

import (
	"errors"
	"os/exec"
)

func landlockABI() int { return 0 }

// confinedCommand runs the connector directly: there is neither Landlock
// nor no_new_privs to apply.
func confinedCommand(_ Confinement, path string, args []string, _ []byte, _ policy) *exec.Cmd {
	return exec.Command(path, args...)
}

// RunConfined needs Linux.
func RunConfined([]string) error {
	return errors.New("confine: connectors can only be confined on Linux")
}
