// Command minimal-connector serves the minimal example connector.
package main

import (
	"github.com/bankauth/bankauth/plugins/example/minimal"
	"github.com/bankauth/bankauth/plugins/sdk"
)

func main() { sdk.Serve(minimal.New()) }
