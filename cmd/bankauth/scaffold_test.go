package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/adapters/connector"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

var kitCount = regexp.MustCompile(`conformance: (\d+) checks run, (\d+) skipped`)

// `connector init` writes projects that pass the conformance kit unchanged.
func TestScaffoldPassesTheKit(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		check func(t *testing.T, dir string) string // returns the kit's output
	}{
		{"go", func(t *testing.T, dir string) string {
			if _, err := exec.LookPath("go"); err != nil {
				t.Skip("no go tool")
			}
			for _, args := range [][]string{{"mod", "tidy"}, {"test", "-count=1", "-v", "./..."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOFLAGS=")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("go %s in the generated project: %v\n%s", strings.Join(args, " "), err, out)
				}
				if args[0] == "test" {
					return string(out)
				}
			}
			return ""
		}},
		{"node", func(t *testing.T, dir string) string {
			// The generated lockfile pins what the example's does, so the
			// example's installed node_modules serve (no registry needed).
			example := requireNode(t)
			sameDeps(t, filepath.Join(example, "package-lock.json"), filepath.Join(dir, "package-lock.json"))
			copyTree(t, filepath.Join(example, "node_modules"), filepath.Join(dir, "node_modules"))
			plan, err := conformance.LoadPlan(filepath.Join(dir, "plan.json"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if !connector.RunConformance(filepath.Join(dir, "connector"), nil, nil, plan, 0, &out) {
				t.Fatalf("the generated Node connector fails the kit:\n%s", out.String())
			}
			return out.String()
		}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "acme-connector")
			var out bytes.Buffer
			if code := run([]string{"connector", "init", "acme", "--lang", tc.lang, "--dir", dir, "--replace", repoRoot(t)}, &out, &out); code != 0 {
				t.Fatalf("connector init: %d %s", code, out.String())
			}
			if code := run([]string{"connector", "init", "acme", "--lang", tc.lang, "--dir", dir}, &out, &out); code == 0 {
				t.Fatalf("init over a project that exists succeeded")
			}
			kit := tc.check(t, dir)
			counts := kitCount.FindAllString(kit, -1)
			if len(counts) == 0 {
				t.Fatalf("the kit reported no count:\n%s", kit)
			}
			t.Logf("%s scaffold: %s", tc.lang, strings.Join(counts, "; "))
		})
	}
}

// sameDeps fails unless two lockfiles pin the same packages.
func sameDeps(t *testing.T, a, b string) {
	t.Helper()
	pkgs := func(p string) string {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var lock struct {
			Packages map[string]json.RawMessage `json:"packages"`
		}
		if err := json.Unmarshal(raw, &lock); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		delete(lock.Packages, "") // the project itself
		js, _ := json.Marshal(lock.Packages)
		return string(js)
	}
	if pkgs(a) != pkgs(b) {
		t.Fatalf("%s and %s pin different packages: update the scaffold's lockfile", a, b)
	}
}

// The scaffold's Node connector shares the example's go-plugin plumbing
// word for word, so fixes reach both.
func TestScaffoldNodePlumbingMatchesExample(t *testing.T) {
	read := func(p string) string {
		raw, err := os.ReadFile(filepath.Join(repoRoot(t), p))
		if err != nil {
			t.Fatal(err)
		}
		s := string(raw)
		i := strings.Index(s, "// ---- go-plugin plumbing")
		if i < 0 {
			t.Fatalf("%s has no plumbing marker", p)
		}
		return s[i:]
	}
	if read("plugins/example/node/connector") != read("cmd/bankauth/scaffold/node/connector.tmpl") {
		t.Fatal("the go-plugin plumbing of the Node example and of the scaffold differ: copy the fix across")
	}
}

func TestScaffoldRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad name", []string{"Acme_Bank"}, "connector name"},
		{"double hyphen", []string{"acme--bank"}, "connector name"},
		{"unknown language", []string{"acme", "--lang", "cobol"}, "language"},
		{"replace not a checkout", []string{"acme", "--replace", "/nonexistent"}, "not a bankauth checkout"},
		{"no name", nil, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "p")
			var out bytes.Buffer
			code := run(append(append([]string{"connector", "init"}, tc.args...), "--dir", dir), &out, &out)
			if code == 0 || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("exit %d, %q; want a failure saying %q", code, out.String(), tc.want)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("a refused init wrote %s", dir)
			}
		})
	}
}
