package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage"
)

const keysUsage = "keys needs a sub-command: status, add, generate, rotate or retire"

// cmdKeys is the master key ring's operator commands: add a key, re-seal
// and re-index everything under it, check what each key still holds, and
// take an old key out once nothing uses it.
func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{keysUsage}
	}
	var c config
	var asJSON bool
	var batch int
	var retire string
	sub := args[0]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	storageFlags(fs, &c)
	switch sub {
	case "status":
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	case "rotate":
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		fs.IntVar(&batch, "batch", 200, "rows per transaction")
	case "retire":
		fs.StringVar(&retire, "id", "", "the key id to take out of the key file (8 hex characters, from keys status) (required)")
	case "add", "generate":
	default:
		return usageError{fmt.Sprintf("unknown keys sub-command %q; %s", sub, keysUsage)}
	}
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	switch sub {
	case "generate":
		k := seal.NewKey()
		fmt.Fprintf(stdout, "%s\n", hex.EncodeToString(k[:]))
		return nil
	case "add":
		return keysAdd(c, stdout)
	}
	ring, err := existingRing(c)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "status":
		return keysStatus(ctx, st, ring, asJSON, stdout)
	case "rotate":
		return keysRotate(ctx, st, ring, batch, asJSON, stdout)
	default:
		return keysRetire(ctx, st, ring, c, retire, stdout)
	}
}

// existingRing loads the configured ring without creating a key file: a
// fresh key would open nothing that is stored.
func existingRing(c config) (*seal.Ring, error) {
	if strings.TrimSpace(c.MasterKey) == "" {
		if _, err := os.Stat(filepath.Join(c.DataDir, seal.KeyFileName)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no key ring: BANKAUTH_MASTER_KEY is not set and %s has no %s", c.DataDir, seal.KeyFileName)
		}
	}
	return seal.Load(seal.Source{MasterKeys: c.MasterKey, DataDir: c.DataDir})
}

func keysAdd(c config, stdout io.Writer) error {
	if strings.TrimSpace(c.MasterKey) != "" {
		return usageError{"BANKAUTH_MASTER_KEY is set, so the key file is not used: put a new key (bankauth keys generate) first in BANKAUTH_MASTER_KEY, comma-separated, newest first"}
	}
	if _, err := os.Stat(filepath.Join(c.DataDir, seal.KeyFileName)); err != nil {
		return fmt.Errorf("no key file to add to in %s: %w", c.DataDir, err)
	}
	id, err := seal.AddKeyFile(c.DataDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added key %08x at the head of %s\n", id, filepath.Join(c.DataDir, seal.KeyFileName))
	fmt.Fprintln(stdout, "next: restart every instance so it seals with the new key, then run bankauth keys rotate")
	return nil
}

// rotateResult is what keys rotate --json prints.
type rotateResult struct {
	KeyID      string `json:"key_id"`
	Rows       int    `json:"rows"`
	Batches    int    `json:"batches"`
	Concurrent int    `json:"concurrent"`
	Unreadable int    `json:"unreadable"`
	KeptLogins int    `json:"kept_logins"`
	// Stale counts sealed values and identifier indexes still under
	// another key after the run; 0 means the old keys may go.
	Stale int `json:"stale"`
}

func keysRotate(ctx context.Context, st *storage.Store, ring *seal.Ring, batch int, asJSON bool, stdout io.Writer) error {
	if batch <= 0 {
		return usageError{"--batch must be positive"}
	}
	rep, err := st.Rotate(ctx, ring, storage.RotateOptions{BatchSize: batch})
	if err != nil {
		return fmt.Errorf("%w (%d rows rewritten before it stopped; every row is readable with this ring: run keys rotate again to carry on)", err, rep.Rows)
	}
	usage, err := st.KeyUsage(ctx)
	if err != nil {
		return err
	}
	stale := 0
	for _, u := range usage {
		if blocksRetire(u, ring.CurrentKeyID()) {
			stale += u.Rows
		}
	}
	res := rotateResult{KeyID: fmt.Sprintf("%08x", ring.CurrentKeyID()), Rows: rep.Rows, Batches: rep.Batches,
		Concurrent: rep.Concurrent, Unreadable: rep.Unreadable, KeptLogins: rep.KeptLogins, Stale: stale}
	if asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "rotated under key %s: %d rows rewritten in %d batches\n", res.KeyID, res.Rows, res.Batches)
	fmt.Fprintf(stdout, "  %d changed by a server meanwhile (run again to check them)\n", res.Concurrent)
	fmt.Fprintf(stdout, "  %d unreadable with this ring (left as they were)\n", res.Unreadable)
	fmt.Fprintf(stdout, "  %d login keys kept (the login is not recoverable; re-keyed when it links again)\n", res.KeptLogins)
	if stale == 0 {
		fmt.Fprintln(stdout, "nothing sealed or indexed under an older key is left: older keys may be retired")
	} else {
		fmt.Fprintf(stdout, "%d values are still under an older key: run keys rotate again before retiring a key\n", stale)
	}
	return nil
}

// blocksRetire says whether rows in u stop a key other than current from
// leaving the ring: sealed values would no longer open and identifiers
// would no longer be found. Login keys only help a login find its record,
// so they do not block.
func blocksRetire(u storage.KeyUsage, current uint32) bool {
	if u.Column == "records.login_key" {
		return false
	}
	return u.Legacy || u.KeyID != current
}

// statusRow is one line of keys status --json.
type statusRow struct {
	Column  string `json:"column"`
	KeyID   string `json:"key_id"` // "legacy" for first-release indexes
	InRing  bool   `json:"in_ring"`
	Current bool   `json:"current"`
	Rows    int    `json:"rows"`
}

func keysStatus(ctx context.Context, st *storage.Store, ring *seal.Ring, asJSON bool, stdout io.Writer) error {
	usage, err := st.KeyUsage(ctx)
	if err != nil {
		return err
	}
	ids := ring.KeyIDs()
	rows := make([]statusRow, 0, len(usage))
	for _, u := range usage {
		r := statusRow{Column: u.Column, KeyID: "legacy", Rows: u.Rows}
		if !u.Legacy {
			r.KeyID = fmt.Sprintf("%08x", u.KeyID)
			r.InRing = slices.Contains(ids, u.KeyID)
			r.Current = u.KeyID == ring.CurrentKeyID()
		} else {
			// First-release indexes are found through the ring's oldest key.
			r.InRing = true
		}
		rows = append(rows, r)
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"ring": hexIDs(ids), "usage": rows})
	}
	fmt.Fprintf(stdout, "key ring (newest first): %s\n", strings.Join(hexIDs(ids), " "))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tIN RING\tCOLUMN\tROWS")
	for _, r := range rows {
		key := r.KeyID
		if r.Current {
			key += " (current)"
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%d\n", key, r.InRing, r.Column, r.Rows)
	}
	return tw.Flush()
}

func hexIDs(ids []uint32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprintf("%08x", id)
	}
	return out
}

// keysRetire takes a key out of the key file, but only once no sealed value
// or identifier index uses it.
func keysRetire(ctx context.Context, st *storage.Store, ring *seal.Ring, c config, idText string, stdout io.Writer) error {
	id64, err := strconv.ParseUint(idText, 16, 32)
	if err != nil || len(idText) != 8 {
		return usageError{"--id must be a key id: 8 hex characters, as keys status prints it"}
	}
	id := uint32(id64)
	if !slices.Contains(ring.KeyIDs(), id) {
		return fmt.Errorf("key %08x is not in the ring", id)
	}
	if id == ring.CurrentKeyID() {
		return fmt.Errorf("key %08x is the current key; add a new key and rotate first", id)
	}
	usage, err := st.KeyUsage(ctx)
	if err != nil {
		return err
	}
	ids := ring.KeyIDs()
	oldest := ids[len(ids)-1]
	for _, u := range usage {
		if u.Column == "records.login_key" {
			continue
		}
		if (!u.Legacy && u.KeyID == id) || (u.Legacy && id == oldest) {
			return fmt.Errorf("key %08x still holds %d values of %s: run keys rotate until keys status shows none", id, u.Rows, u.Column)
		}
	}
	if strings.TrimSpace(c.MasterKey) != "" {
		fmt.Fprintf(stdout, "key %08x holds nothing: take it out of BANKAUTH_MASTER_KEY and restart every instance\n", id)
		return nil
	}
	if err := seal.RemoveKeyFile(c.DataDir, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "retired key %08x: restart every instance to drop it from their rings\n", id)
	return nil
}
