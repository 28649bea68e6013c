package seal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the key ring file created in the data directory when no
// master key is configured.
const KeyFileName = "master.keys"

// Source says where the master keys come from.
type Source struct {
	// MasterKeys is BANKAUTH_MASTER_KEY: one or more 64-hex keys separated
	// by commas, newest first. When set, no key file is used.
	MasterKeys string
	// DataDir holds the generated key file otherwise.
	DataDir string
}

// Load builds the ring from the configured keys, or from the key file in
// the data directory, creating it (mode 0600) with a fresh key on first use.
func Load(src Source) (*Ring, error) {
	if strings.TrimSpace(src.MasterKeys) != "" {
		keys, err := parseKeys(src.MasterKeys, ",")
		if err != nil {
			return nil, fmt.Errorf("BANKAUTH_MASTER_KEY: %w", err)
		}
		return NewRing(keys...)
	}
	if src.DataDir == "" {
		return nil, errors.New("seal: no master key and no data directory for a key file")
	}
	path := filepath.Join(src.DataDir, KeyFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeKeyFile(path, []Key{NewKey()}); err != nil {
			return nil, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	keys, err := parseKeys(string(b), "\n")
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", KeyFileName, err)
	}
	return NewRing(keys...)
}

// AddKeyFile puts a new key at the head of the key file and returns its
// id: once every instance runs with it, new rows use it and older rows stay
// readable until a rotation re-seals them.
func AddKeyFile(dataDir string) (uint32, error) {
	path := filepath.Join(dataDir, KeyFileName)
	keys, err := readKeyFile(path)
	if err != nil {
		return 0, err
	}
	k := NewKey()
	if err := writeKeyFile(path, append([]Key{k}, keys...)); err != nil {
		return 0, err
	}
	return k.ID(), nil
}

// RemoveKeyFile takes the key with id out of the key file. The newest key
// cannot be removed: it is the one that seals.
func RemoveKeyFile(dataDir string, id uint32) error {
	path := filepath.Join(dataDir, KeyFileName)
	keys, err := readKeyFile(path)
	if err != nil {
		return err
	}
	kept := keys[:0:0]
	for _, k := range keys {
		if k.ID() != id {
			kept = append(kept, k)
		}
	}
	switch {
	case len(kept) == len(keys):
		return fmt.Errorf("key %08x is not in the key file", id)
	case keys[0].ID() == id:
		return fmt.Errorf("key %08x is the newest key; add a new key and rotate before removing it", id)
	}
	return writeKeyFile(path, kept)
}

func readKeyFile(path string) ([]Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	keys, err := parseKeys(string(b), "\n")
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", KeyFileName, err)
	}
	return keys, nil
}

func parseKeys(s, sep string) ([]Key, error) {
	var keys []Key
	for _, part := range strings.Split(s, sep) {
		part = strings.TrimSpace(part)
		if part == "" || strings.HasPrefix(part, "#") {
			continue
		}
		k, err := ParseKey(part)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no keys")
	}
	return keys, nil
}

func writeKeyFile(path string, keys []Key) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	var b strings.Builder
	b.WriteString("# bankauth master keys, newest first. Keep this file secret and backed up.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%x\n", k[:])
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}
