package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/bankauth/bankauth/adapters/connector"
	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/plugins/fakebank"
)

// connectorConfig is the connector host's configuration. No connector may
// see the data directory, the master key file or the SQLite database.
func connectorConfig(c config) connector.Config {
	conf := connector.Confinement{
		User: c.ConnectorUser,
		Protected: []string{c.DataDir, filepath.Join(c.DataDir, seal.KeyFileName),
			filepath.Join(c.DataDir, "bankauth.db")},
	}
	for _, p := range strings.Split(c.ConnectorReadPaths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			conf.ReadPaths = append(conf.ReadPaths, p)
		}
	}
	cc := connector.Config{PluginDir: c.PluginDir, CallTimeout: c.BankTimeout, Confine: conf}
	if c.FakebankScenario != "" {
		// The built-in fake bank reads its scenario from the environment.
		scenario, err := filepath.Abs(c.FakebankScenario)
		if err != nil {
			scenario = c.FakebankScenario
		}
		cc.BuiltinEnv = []string{fakebank.ScenarioEnv + "=" + scenario}
		cc.BuiltinReadPaths = []string{scenario}
	}
	return cc
}

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
