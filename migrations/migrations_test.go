package migrations

import (
	"io/fs"
	"strings"
	"testing"
)

func TestDialects(t *testing.T) {
	for _, name := range Dialects {
		fsys, err := Dialect(name)
		if err != nil {
			t.Fatalf("Dialect(%q): %v", name, err)
		}
		files, err := fs.Glob(fsys, "*.sql")
		if err != nil || len(files) == 0 || files[0] != "00001_init.sql" {
			t.Fatalf("%s migrations: %v, %v", name, files, err)
		}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), "-- +goose Up") || !strings.Contains(string(b), "-- +goose Down") {
				t.Errorf("%s/%s lacks goose Up/Down markers", name, f)
			}
		}
	}
	if _, err := Dialect("mysql"); err == nil {
		t.Fatal("Dialect(mysql) succeeded")
	}
}
