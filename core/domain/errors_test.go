package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestEveryKindHasOkraType reads the Kind constants from errors.go, so a
// kind added without a row in okraTypes fails here.
func TestEveryKindHasOkraType(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatalf("parse errors.go: %v", err)
	}
	var kinds []Kind
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Kind" {
				for i, n := range v.Names {
					lit, ok := v.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: want a string literal", n.Name)
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatalf("%s: %v", n.Name, err)
					}
					kinds = append(kinds, Kind(s))
				}
			}
		}
	}
	if len(kinds) == 0 {
		t.Fatal("found no Kind constants in errors.go")
	}
	for _, k := range kinds {
		if _, ok := okraTypes[k]; !ok {
			t.Errorf("kind %q has no row in okraTypes", k)
		}
	}
	if len(kinds) != len(okraTypes) {
		t.Errorf("%d Kind constants, %d rows in okraTypes", len(kinds), len(okraTypes))
	}
	seen := map[string]Kind{}
	for k, typ := range okraTypes {
		if typ == "" {
			t.Errorf("kind %q has an empty Okra type", k)
		}
		if other, dup := seen[typ]; dup {
			t.Errorf("kinds %q and %q share the Okra type %s", k, other, typ)
		}
		seen[typ] = k
	}
	if got := Kind("no_such_kind").OkraType(); got != "API" {
		t.Errorf("unknown kind: OkraType() = %q, want API", got)
	}
}
