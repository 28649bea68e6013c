package connector

import (
	"io"
	"time"

	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// RunConformance runs the conformance kit against the connector binary at
// path (started with args, env added to the environment) as plan directs,
// outside go test: it is what `bankauth connector test PATH --plan FILE`
// calls. The kit's log goes to w as it runs; passed is true when no check
// failed. startTimeout 0 keeps the kit's default.
func RunConformance(path string, args, env []string, plan conformance.Plan, startTimeout time.Duration, w io.Writer) (passed bool) {
	target := conformance.Binary(path, args...).WithEnv(env...)
	if startTimeout > 0 {
		target.StartTimeout = startTimeout
	}
	return conformance.Check(target, plan, w).Passed()
}
