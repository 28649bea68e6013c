package main

import (
	"encoding/json"
	"io"

	"github.com/bankauth/bankauth/adapters/connector"
)

// cmdConfine is the launcher every connector process starts as (the host
// runs this very binary through /proc/self/exe): it confines itself, then
// execs the connector. It returns only on failure, which it reports as a
// JSON log line, the form the host forwards from a connector's stderr.
func cmdConfine(args []string, stderr io.Writer) int {
	err := connector.RunConfined(args)
	line, _ := json.Marshal(map[string]string{"@level": "error", "@module": "confine", "@message": err.Error()})
	_, _ = stderr.Write(append(line, '\n'))
	return 126
}
