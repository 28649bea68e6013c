// Package migrations holds the SQL schema of bankauth, one goose migration
// set per database dialect, embedded in the binary.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS

// Dialects lists the dialect names Dialect accepts.
var Dialects = []string{"postgres", "sqlite"}

// Dialect returns the migrations of one dialect ("postgres" or "sqlite") as
// a file system whose root holds the numbered .sql files.
func Dialect(name string) (fs.FS, error) {
	switch name {
	case "postgres", "sqlite":
		return fs.Sub(FS, name)
	}
	return nil, fmt.Errorf("migrations: unknown dialect %q", name)
}
