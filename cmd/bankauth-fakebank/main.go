// Command bankauth-fakebank serves the sandbox fake banks as a standalone
// connector plugin. It is started by bankauth (or the conformance kit), not
// by hand. FAKEBANK_SCENARIO may name a scenario file.
package main

import "github.com/bankauth/bankauth/plugins/fakebank"

func main() { fakebank.Main() }
