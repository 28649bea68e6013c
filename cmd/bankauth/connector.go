package main

import (
	"github.com/bankauth/bankauth/plugins/fakebank"
)

// hiddenConnectorCommand re-executes this binary as a built-in connector
// process; the host starts it, never a person.
const hiddenConnectorCommand = "__connector"

func cmdConnectorServe(args []string) error {
	if len(args) != 1 || args[0] != "fakebank" {
		return usageError{"unknown built-in connector"}
	}
	fakebank.Main()
	return nil
}
