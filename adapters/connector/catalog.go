package connector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// Catalog is the set of external connectors the operator registered. A
// binary is run only if it is registered, lies inside the plugin directory
// and still has the checksum it was registered with.
type Catalog struct {
	pluginDir string
	repo      ports.ConnectorRepo
	now       func() time.Time
}

// NewCatalog returns the catalog of repo for binaries in pluginDir.
func NewCatalog(pluginDir string, repo ports.ConnectorRepo) *Catalog {
	return &Catalog{pluginDir: pluginDir, repo: repo, now: time.Now}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Register checks that path is a regular file inside the plugin directory
// whose SHA-256 is sha256hex right now, and records it under name
// (replacing an earlier registration of that name). production enables the
// connector's banks for the production environment.
func (c *Catalog) Register(ctx context.Context, name, path, sha256hex string, production bool) error {
	if !nameRE.MatchString(name) {
		return domain.Invalid("name", "use 1-63 lowercase letters, digits, '-' or '_'")
	}
	if name == BuiltinName {
		return domain.Invalid("name", fmt.Sprintf("%q is the built-in connector's name", BuiltinName))
	}
	want, err := parseSHA256(sha256hex)
	if err != nil {
		return err
	}
	abs, err := c.resolve(path)
	if err != nil {
		return err
	}
	got, err := fileSHA256(abs)
	if err != nil {
		return domain.Invalid("path", err.Error())
	}
	if hex.EncodeToString(got) != hex.EncodeToString(want) {
		return domain.Invalid("sha256", fmt.Sprintf("connector %q: checksum mismatch: %s has sha256 %x", name, abs, got))
	}
	now := c.now().UTC()
	rc := domain.RegisteredConnector{Name: name, Path: abs, SHA256: hex.EncodeToString(want),
		Enabled: production, CreatedAt: now, UpdatedAt: now}
	if old, err := c.repo.Get(ctx, name); err == nil {
		rc.CreatedAt = old.CreatedAt
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	return c.repo.Register(ctx, rc)
}

// List returns the registered connectors.
func (c *Catalog) List(ctx context.Context) ([]domain.RegisteredConnector, error) {
	return c.repo.List(ctx)
}

// resolve returns the absolute, symlink-free path of a connector binary and
// refuses anything outside the plugin directory or not a regular
// executable file.
func (c *Catalog) resolve(path string) (string, error) {
	if c.pluginDir == "" {
		return "", domain.Invalid("path", "no plugin directory is configured; external connectors are disabled")
	}
	dir, err := filepath.Abs(c.pluginDir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return "", domain.Invalid("path", "plugin directory: "+err.Error())
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", domain.Invalid("path", err.Error())
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", domain.Invalid("path", fmt.Sprintf("%s is not inside the plugin directory %s", path, dir))
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", domain.Invalid("path", err.Error())
	}
	if !fi.Mode().IsRegular() {
		return "", domain.Invalid("path", abs+" is not a regular file")
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return "", domain.Invalid("path", abs+" is not executable")
	}
	return abs, nil
}

func parseSHA256(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(s)))
	if err != nil || len(b) != sha256.Size {
		return nil, domain.Invalid("sha256", "must be 64 hexadecimal characters")
	}
	return b, nil
}

// FileSHA256 returns the hex SHA-256 of a file, as Register expects it.
func FileSHA256(path string) (string, error) {
	b, err := fileSHA256(path)
	return hex.EncodeToString(b), err
}

func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only: a failed close loses nothing
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
