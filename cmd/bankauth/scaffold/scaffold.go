// Package scaffold writes the skeleton of a new connector project, in Go or
// in Node.js, that passes the conformance kit as written.
package scaffold

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bankauth/bankauth/plugins/sdk/proto"
)

//go:embed go node
var templates embed.FS

// Options say what to write.
type Options struct {
	Name string // the connector's name: lowercase words joined by hyphens
	Lang string // "go" or "node"
	Dir  string // where; it must not exist or be empty
	// Replace points the Go project's go.mod at a checkout of bankauth (a
	// replace directive): the module is not published.
	Replace string
}

// Langs are the languages Write knows.
var Langs = []string{"go", "node"}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// renames maps template names whose target is a dot file.
var renames = map[string]string{"gitignore": ".gitignore", "npmrc": ".npmrc"}

// Write writes the project and returns the paths it wrote, relative to Dir.
func Write(o Options) ([]string, error) {
	if !nameRE.MatchString(o.Name) || len(o.Name) > 40 {
		return nil, fmt.Errorf("connector name %q: use lowercase letters and digits, words joined by single hyphens, at most 40", o.Name)
	}
	if o.Lang != "go" && o.Lang != "node" {
		return nil, fmt.Errorf("language %q: use one of %s", o.Lang, strings.Join(Langs, ", "))
	}
	if entries, err := os.ReadDir(o.Dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s exists and is not empty", o.Dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	replace := ""
	if o.Replace != "" {
		abs, err := filepath.Abs(o.Replace)
		if err != nil {
			return nil, fmt.Errorf("--replace: %w", err)
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
			return nil, fmt.Errorf("--replace %s: not a bankauth checkout: %w", o.Replace, err)
		}
		replace = "\nreplace github.com/bankauth/bankauth => " + abs
	}
	words := strings.Split(o.Name, "-")
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	fill := strings.NewReplacer("__NAME__", o.Name, "__BANK_ID__", o.Name+"-bank",
		"__BANK_NAME__", strings.Join(words, " ")+" Bank", "\n__REPLACE__\n", replace+"\n")

	files := map[string][]byte{}
	err := fs.WalkDir(templates, o.Lang, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, o.Lang+"/"), ".tmpl")
		if r, ok := renames[path.Base(name)]; ok {
			name = path.Join(path.Dir(name), r)
		}
		files[name] = []byte(fill.Replace(string(raw)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the templates: %w", err)
	}
	if o.Lang == "node" {
		files["proto/connector/v1/connector.proto"] = proto.ConnectorV1
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		target := filepath.Join(o.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, err
		}
		mode := os.FileMode(0o644)
		if name == "connector" {
			mode = 0o755 // the Node entry point
		}
		if err := os.WriteFile(target, files[name], mode); err != nil {
			return nil, err
		}
	}
	return names, nil
}
