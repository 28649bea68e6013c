package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// sqliteConfig is a fresh SQLite database in a temporary directory.
func sqliteConfig(t *testing.T) storage.Config { return storagetest.SQLiteConfig(t) }

// forEachDB runs fn on a fresh SQLite database and, when the test server is
// configured, a fresh PostgreSQL one (subtests "sqlite" and "postgres").
func forEachDB(t *testing.T, fn func(t *testing.T, db storage.Config)) {
	for _, d := range storagetest.Configs() {
		t.Run(d.Name, func(t *testing.T) { fn(t, d.Config(t)) })
	}
}

// dumpTables reads every row of every table as text, for tests that look
// for secrets stored in plain text.
func dumpTables(t *testing.T, st *storage.Store) []byte {
	t.Helper()
	db := st.DB()
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if st.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`
	}
	if err := db.Select(&tables, q); err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Queryx("SELECT * FROM " + table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					b.Write(x)
				case string:
					b.WriteString(x)
				default:
					b.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(fmtAny(x), "\n", " "), "\t", " ")))
				}
				b.WriteByte('\t')
			}
			b.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		rows.Close()
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables found; the dump would prove nothing", len(tables))
	}
	return []byte(b.String())
}

func fmtAny(v any) string { return fmt.Sprint(v) }
