package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/domain"
)

// keysCLI runs bankauth keys … against one database and data directory and
// returns stdout; a non-zero exit fails the test.
func keysCLI(t *testing.T, db storage.Config, dataDir string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"keys"}, args...)
	full = append(full, "--data-dir", dataDir, "--database-url", db.DatabaseURL)
	if code := run(full, &out, &errb); code != 0 {
		t.Fatalf("bankauth %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String()
}

// keyFile reads the ring's keys, newest first.
func keyFile(t *testing.T, dataDir string) []seal.Key {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, seal.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	var keys []seal.Key
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := seal.ParseKey(line)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// legacyIndex is a blind index as the first release wrote it: keyed from
// the oldest key, without the company id.
func legacyIndex(oldest seal.Key, purpose, value string) []byte {
	sub := hmac.New(sha256.New, oldest[:])
	sub.Write([]byte("bankauth blind index v1"))
	mac := hmac.New(sha256.New, sub.Sum(nil))
	mac.Write([]byte(purpose + "\x00" + value))
	return mac.Sum(nil)
}

// openEverySealed opens every sealed value in the database with ring and
// counts them per column; one that does not open fails the test.
func openEverySealed(t *testing.T, st *storage.Store, ring *seal.Ring) map[string]int {
	t.Helper()
	got := map[string]int{}
	check := func(column string, query string, ad func(id, a, b string) []byte) {
		t.Helper()
		rows, err := st.DB().Queryx(query)
		if err != nil {
			t.Fatalf("%s: %v", column, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, a, b string
			var ct []byte
			if err := rows.Scan(&id, &a, &b, &ct); err != nil {
				t.Fatal(err)
			}
			if len(ct) == 0 {
				continue
			}
			if _, err := ring.Open(ct, ad(id, a, b)); err != nil {
				t.Errorf("%s of %s does not open with the new ring alone: %v", column, id, err)
			}
			got[column]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	webhook := func(purpose string) func(id, env, _ string) []byte {
		return func(company, env, _ string) []byte {
			return []byte("webhook\x00" + company + "\x00" + env + "\x00" + purpose)
		}
	}
	check("identifiers", "SELECT id, '', '', sealed FROM customer_identifiers", func(id, _, _ string) []byte { return domain.IdentifierAD(id) })
	check("sessions", "SELECT id, '', '', sealed_session FROM records", func(id, _, _ string) []byte { return domain.RecordSessionAD(id) })
	check("usernames", "SELECT id, '', '', sealed_username FROM records", func(id, _, _ string) []byte { return domain.RecordUsernameAD(id) })
	check("link states", "SELECT id, '', '', sealed_state FROM link_sessions", func(id, _, _ string) []byte { return domain.LinkSessionStateAD(id) })
	check("link tokens", "SELECT id, '', '', options FROM link_tokens", func(id, _, _ string) []byte { return domain.LinkTokenAD(id) })
	check("identities", "SELECT id, '', '', sealed FROM identities", func(id, _, _ string) []byte { return domain.IdentityAD(id) })
	check("webhook secrets", "SELECT company_id, env, '', sealed_secret FROM webhook_endpoints", webhook("webhook-signing-secret"))
	check("webhook previous secrets", "SELECT company_id, env, '', sealed_previous FROM webhook_endpoints", webhook("webhook-signing-secret"))
	check("webhook tokens", "SELECT company_id, env, '', sealed_token FROM webhook_endpoints", webhook("webhook-token"))
	return got
}

// TestKeysRotate is the whole operator procedure: add a key, rotate on a
// live server, retire the old key, and everything still opens and is
// still found — with indexes per company, including rows indexed the
// first release's way.
func TestKeysRotate(t *testing.T) {
	t.Setenv("BANKAUTH_MASTER_KEY", "")
	forEachDB(t, func(t *testing.T, db storage.Config) {
		dataDir := db.DataDir
		if dataDir == "" {
			dataDir = t.TempDir()
		}
		tweak := func(c *config) {
			c.DataDir = dataDir
			c.AllowPrivateWebhooks = true
		}
		const bvn = "22222222222"
		// Before: two companies with the same customer, a webhook with a
		// token and a rotated secret, a link session left half-way.
		ts, stop := startStoppable(t, db, tweak)
		acme, beta := ts.newCompany("Acme"), ts.newCompany("Beta")
		linkedA := linkGood(t, ts, ts.openSession(acme, map[string]any{"customer": map[string]any{"bvn": bvn}, "products": []string{"auth", "identity"}}), "user_good")
		linkedB := linkGood(t, ts, ts.openSession(beta, map[string]any{"customer": map[string]any{"bvn": bvn}}), "user_good")
		for range 2 {
			if r := ts.call("POST", "/v2/sandbox/webhooks/set", acme.Sandbox.SecretKey, map[string]any{"url": "http://127.0.0.1:1/hook", "token": "hook-token"}); r.Status != 200 {
				t.Fatalf("webhooks/set: %d %s", r.Status, r.Body)
			}
		}
		halfway := ts.openSession(acme, nil)
		stepAccounts(t, halfway.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))

		// Rows the first release wrote: an identifier and a login key
		// without the company id.
		oldKey := keyFile(t, dataDir)[0]
		if _, err := ts.Store.DB().Exec(ts.Store.DB().Rebind("UPDATE customer_identifiers SET blind_index = ? WHERE company_id = ? AND kind = 'bvn'"),
			legacyIndex(oldKey, "bvn", bvn), acme.Company.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Store.DB().Exec(ts.Store.DB().Rebind("UPDATE records SET login_key = ? WHERE id = ?"),
			legacyIndex(oldKey, "login", "sandbox-bank\x00user:user_good"), linkedA["record_id"]); err != nil {
			t.Fatal(err)
		}
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])
		stop()

		// Add a key; the server restarts with both and rotation runs while
		// it serves.
		added := keysCLI(t, db, dataDir, "add")
		if !strings.Contains(added, "added key") {
			t.Fatalf("keys add: %s", added)
		}
		if n := len(keyFile(t, dataDir)); n != 2 {
			t.Fatalf("key file holds %d keys after add, want 2", n)
		}
		ts, stop = startStoppable(t, db, tweak)
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])

		var first rotateResult
		if err := json.Unmarshal([]byte(keysCLI(t, db, dataDir, "rotate", "--json", "--batch", "2")), &first); err != nil {
			t.Fatal(err)
		}
		if first.Rows == 0 || first.Stale != 0 || first.Unreadable != 0 || first.Concurrent != 0 || first.KeptLogins != 0 {
			t.Fatalf("first rotation: %+v; want rows rewritten and nothing left, unreadable, concurrent or kept", first)
		}
		var second rotateResult
		if err := json.Unmarshal([]byte(keysCLI(t, db, dataDir, "rotate", "--json")), &second); err != nil {
			t.Fatal(err)
		}
		if second.Rows != 0 || second.Batches != 0 || second.Stale != 0 {
			t.Fatalf("second rotation is not a no-op: %+v", second)
		}
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])
		stop()

		var status struct {
			Ring  []string    `json:"ring"`
			Usage []statusRow `json:"usage"`
		}
		if err := json.Unmarshal([]byte(keysCLI(t, db, dataDir, "status", "--json")), &status); err != nil {
			t.Fatal(err)
		}
		newID, oldID := status.Ring[0], status.Ring[1]
		for _, u := range status.Usage {
			if u.KeyID != newID {
				t.Errorf("after rotation %d values of %s are under key %s, not the new key %s", u.Rows, u.Column, u.KeyID, newID)
			}
		}

		// Retire the old key; the ring is the new key alone.
		keysCLI(t, db, dataDir, "retire", "--id", oldID)
		ring, err := seal.Load(seal.Source{DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		if ids := ring.KeyIDs(); len(ids) != 1 || fmt.Sprintf("%08x", ids[0]) != newID {
			t.Fatalf("ring after retire: %x, want only %s", ids, newID)
		}
		st, err := storage.Open(context.Background(), storage.Config{DatabaseURL: db.DatabaseURL, DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		opened := openEverySealed(t, st, ring)
		for _, column := range []string{"identifiers", "sessions", "usernames", "link states", "webhook secrets", "webhook previous secrets", "webhook tokens", "identities"} {
			if opened[column] == 0 {
				t.Errorf("no %s in the database: the test would not notice them failing", column)
			}
		}
		var indexes [][]byte
		if err := st.DB().Select(&indexes, "SELECT blind_index FROM customer_identifiers WHERE kind = 'bvn' ORDER BY company_id"); err != nil {
			t.Fatal(err)
		}
		if len(indexes) != 2 || bytes.Equal(indexes[0], indexes[1]) {
			t.Fatalf("the same BVN at two companies: %d indexes, equal=%v; want two that differ", len(indexes), len(indexes) == 2 && bytes.Equal(indexes[0], indexes[1]))
		}
		st.Close()

		// The server with the new key alone still recognises both
		// customers, finds them, and the re-keyed login finds its record.
		ts = startServer(t, db, tweak)
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])
		expectReturning(t, ts, beta, bvn, linkedB["customer_id"])
		r := ts.call("POST", "/v2/sandbox/customers/find-customers-by", acme.Sandbox.SecretKey, map[string]any{"key": "bvn", "value": bvn})
		if found, _ := field(r.JSON, "data.customers").([]any); len(found) != 1 || field(found[0], "id") != linkedA["customer_id"] {
			t.Fatalf("find-customers-by bvn after rotation: %s", r.Body)
		}
		c := ts.openWithToken(acme, customerToken(map[string]any{"bvn": bvn}))
		ids := stepAccounts(t, c.login("sandbox-bank", "returning", map[string]string{"password": "pass_good"}))
		if p := c.choose(ids...).JSON; p["record_id"] != linkedA["record_id"] {
			t.Fatalf("quick login after rotation wrote record %v, want %v", p["record_id"], linkedA["record_id"])
		}
		if p := linkGood(t, ts, ts.openSession(acme, nil), "user_good"); p["record_id"] != linkedA["record_id"] {
			t.Fatalf("a full login after rotation made record %v; the re-keyed login key should find %v", p["record_id"], linkedA["record_id"])
		}
	})
}

// expectReturning opens a session for bvn at a company and wants the
// customer recognised.
func expectReturning(t *testing.T, ts *testServer, keys company.Created, bvn string, customer any) {
	t.Helper()
	c := ts.openWithToken(keys, customerToken(map[string]any{"bvn": bvn}))
	if field(c.open.JSON, "returning") != true || field(c.open.JSON, "customer_id") != customer {
		t.Fatalf("bvn not recognised as %v: %s", customer, c.open.Body)
	}
}

// seeded is what seedSealed wrote.
type seeded struct {
	company   domain.ID
	bank      domain.Bank
	customers map[domain.ID]string // customer id → its BVN
}

// seedSealed writes n customers, each with a sealed BVN, a record with a
// sealed session, username and login key, and a link session with sealed
// state, all under ring; every other customer's indexes are in the first
// release's form (oldest is that key).
func seedSealed(t *testing.T, st *storage.Store, ring *seal.Ring, oldest seal.Key, n int) seeded {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	bank, err := st.Banks().Upsert(ctx, domain.Bank{ID: domain.NewID(), Slug: "seed-bank", Name: "Seed Bank", Country: "NG",
		Connector: "fakebank", Status: "available", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	out := seeded{company: domain.NewID(), bank: bank, customers: map[domain.ID]string{}}
	mustSeal := func(pt string, ad []byte) []byte {
		ct, err := ring.Seal([]byte(pt), ad)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	for i := range n {
		cu := domain.Customer{ID: domain.NewID(), CompanyID: out.company, Env: domain.EnvSandbox, Name: fmt.Sprint("c", i), CreatedAt: now, UpdatedAt: now}
		if err := st.Customers().Create(ctx, cu); err != nil {
			t.Fatal(err)
		}
		bvn, user := fmt.Sprintf("%011d", 22200000000+i), fmt.Sprint("user", i)
		out.customers[cu.ID] = bvn
		index := ring.BlindIndex(out.company, "bvn", bvn)
		login := ring.BlindIndex(out.company, "login", bank.Slug+"\x00user:"+user)
		if i%2 == 1 {
			index, login = legacyIndex(oldest, "bvn", bvn), legacyIndex(oldest, "login", bank.Slug+"\x00user:"+user)
		}
		ident := domain.NewID()
		if _, err := st.Customers().AddIdentifier(ctx, domain.CustomerIdentifier{ID: ident, CompanyID: out.company, Env: domain.EnvSandbox,
			CustomerID: cu.ID, Kind: domain.IdentBVN, BlindIndex: index, Sealed: mustSeal(bvn, domain.IdentifierAD(ident)), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		rec := domain.NewID()
		if err := st.Records().Create(ctx, domain.Record{ID: rec, CompanyID: out.company, Env: domain.EnvSandbox, CustomerID: cu.ID,
			BankID: bank.ID, Status: domain.RecordSuccess, Method: domain.MethodInternetBanking,
			SealedSession: mustSeal("session", domain.RecordSessionAD(rec)), SealedUsername: mustSeal(user, domain.RecordUsernameAD(rec)),
			LoginKey: login, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		ls := domain.NewID()
		if err := st.LinkSessions().Create(ctx, domain.LinkSession{ID: ls, CompanyID: out.company, Env: domain.EnvSandbox,
			Status: domain.StepStart, SealedState: mustSeal("{}", domain.LinkSessionStateAD(ls)), ExpiresAt: now.Add(time.Hour),
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		lt := domain.NewID()
		if err := st.LinkTokens().Create(ctx, domain.LinkToken{ID: lt, CompanyID: out.company, Env: domain.EnvSandbox,
			Hash: []byte(lt), Options: mustSeal(`{"customer":{"bvn":"`+bvn+`"}}`, domain.LinkTokenAD(lt)),
			ExpiresAt: now.Add(time.Hour), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// staleValues counts values not under the ring's newest key.
func staleValues(t *testing.T, st *storage.Store, ring *seal.Ring) int {
	t.Helper()
	usage, err := st.KeyUsage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range usage {
		if u.Legacy || u.KeyID != ring.CurrentKeyID() {
			n += u.Rows
		}
	}
	return n
}

// TestRotateInterruptedResumes cancels a rotation after a few batches:
// every row still opens with the ring and is still found, and a second
// run finishes exactly the rest.
func TestRotateInterruptedResumes(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, st *storage.Store) {
		oldKey, newKey := seal.NewKey(), seal.NewKey()
		before, _ := seal.NewRing(oldKey)
		seed := seedSealed(t, st, before, oldKey, 7)
		ring, _ := seal.NewRing(newKey, oldKey)
		total := staleValues(t, st, ring)
		if total != 7*7 {
			t.Fatalf("seeded %d values under the old key, want 49", total)
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var batches int
		rep, err := st.Rotate(ctx, ring, storage.RotateOptions{BatchSize: 2, Progress: func(storage.RotateReport) {
			if batches++; batches == 3 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted rotation: err %v, want context.Canceled", err)
		}
		left := staleValues(t, st, ring)
		if rep.Batches != 3 || left == 0 || left == total {
			t.Fatalf("after the interruption: %d batches, %d of %d values left; want 3 batches and a part done", rep.Batches, left, total)
		}
		openEverySealed(t, st, ring)
		recogniseAll(t, st, ring, seed)

		rep2, err := st.Rotate(context.Background(), ring, storage.RotateOptions{BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if left := staleValues(t, st, ring); left != 0 {
			t.Fatalf("after resuming: %d values still under the old key", left)
		}
		if rep.Rows+rep2.Rows != 7*4 || rep2.Concurrent != 0 || rep2.KeptLogins != 0 {
			t.Fatalf("rows rewritten: %d + %d (report %+v), want 28 (7 each of identifiers, records, link sessions, link tokens)", rep.Rows, rep2.Rows, rep2)
		}
		alone, _ := seal.NewRing(newKey)
		openEverySealed(t, st, alone)
		recogniseAll(t, st, alone, seed)
	})
}

// recogniseAll looks every seeded customer up by BVN the way the core does.
func recogniseAll(t *testing.T, st *storage.Store, ring *seal.Ring, seed seeded) {
	t.Helper()
	for id, bvn := range seed.customers {
		cu, err := st.Customers().FindByIdentifier(context.Background(), domain.Scope{CompanyID: seed.company, Env: domain.EnvSandbox},
			domain.IdentBVN, ring.BlindIndexes(seed.company, "bvn", bvn)...)
		if err != nil || cu.ID != id {
			t.Errorf("BVN of %s: found %q, %v", id, cu.ID, err)
		}
	}
}

// TestRotateNeverWritesOverANewerValue: a server that rewrites a row while
// the rotation holds its old value wins; the rotation leaves the row and
// says so. (PostgreSQL only: SQLite serialises the two writers.)
func TestRotateNeverWritesOverANewerValue(t *testing.T) {
	st := storagetest.OpenPostgres(t)
	oldKey, newKey := seal.NewKey(), seal.NewKey()
	before, _ := seal.NewRing(oldKey)
	seedSealed(t, st, before, oldKey, 2)
	ring, _ := seal.NewRing(newKey, oldKey)
	var hit string
	newer, _ := ring.Seal([]byte("a newer session"), nil)
	rep, err := st.Rotate(context.Background(), ring, storage.RotateOptions{AfterRead: func(table, id string) {
		if table != "records" || hit != "" {
			return
		}
		hit = id
		newer, _ = ring.Seal([]byte("a newer session"), domain.RecordSessionAD(id))
		// The server's write, on its own connection, between the
		// rotation's read and write.
		if _, err := st.DB().Exec("UPDATE records SET sealed_session = $1 WHERE id = $2", newer, id); err != nil {
			t.Error(err)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Concurrent != 1 {
		t.Fatalf("report %+v: want the one concurrent write noticed", rep)
	}
	var got []byte
	if err := st.DB().Get(&got, "SELECT sealed_session FROM records WHERE id = $1", hit); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, newer) {
		t.Fatal("the rotation wrote over the server's newer session")
	}
	// The row it left is still under the old key for its other columns; a
	// re-run picks it up.
	rep, err = st.Rotate(context.Background(), ring, storage.RotateOptions{})
	if err != nil || rep.Rows != 1 || staleValues(t, st, ring) != 0 {
		t.Fatalf("re-run: %+v, %v, %d stale", rep, err, staleValues(t, st, ring))
	}
}

// TestRotateLoginKeys: a record's login is not stored, so the rotation
// recovers it from what is (the remembered username, the customer's
// phone) and accepts it only if it reproduces the stored key.
func TestRotateLoginKeys(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, st *storage.Store) {
		ctx := context.Background()
		oldKey, newKey := seal.NewKey(), seal.NewKey()
		ring, _ := seal.NewRing(newKey, oldKey)
		seed := seedSealed(t, st, ring, oldKey, 0)
		scope := domain.Scope{CompanyID: seed.company, Env: domain.EnvSandbox}
		now := time.Now().UTC()
		loginValue := func(login string) string { return seed.bank.Slug + "\x00" + login }
		tests := []struct {
			name     string
			username string // remembered username, sealed on the record
			phone    string // the customer's phone identifier
			login    string // what the login key was made of
			taken    bool   // a newer record holds the new key already
			want     string // "rekeyed", "kept" or "cleared"
		}{
			{name: "username", username: "Ada", login: "user:ada", want: "rekeyed"},
			{name: "ussd, phone among identifiers", phone: "+2348000000009", login: "phone:+2348000000009", want: "rekeyed"},
			{name: "ussd, phone unknown", phone: "+2348000000001", login: "phone:+2348000000002", want: "kept"},
			{name: "removed record", login: "user:gone", want: "kept"},
			{name: "username does not match the key", username: "Bob", login: "user:someone-else", want: "kept"},
			{name: "a newer record has the login", username: "Eve", login: "user:eve", taken: true, want: "cleared"},
		}
		records := map[string]domain.ID{}
		for _, tt := range tests {
			cu := domain.Customer{ID: domain.NewID(), CompanyID: seed.company, Env: domain.EnvSandbox, CreatedAt: now, UpdatedAt: now}
			if err := st.Customers().Create(ctx, cu); err != nil {
				t.Fatal(err)
			}
			if tt.phone != "" {
				id := domain.NewID()
				sealed, _ := ring.Seal([]byte(tt.phone), domain.IdentifierAD(id))
				if _, err := st.Customers().AddIdentifier(ctx, domain.CustomerIdentifier{ID: id, CompanyID: seed.company, Env: domain.EnvSandbox,
					CustomerID: cu.ID, Kind: domain.IdentPhone, BlindIndex: ring.BlindIndex(seed.company, "phone", tt.phone), Sealed: sealed, CreatedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			rec := domain.Record{ID: domain.NewID(), CompanyID: seed.company, Env: domain.EnvSandbox, CustomerID: cu.ID, BankID: seed.bank.ID,
				Status: domain.RecordSuccess, Method: domain.MethodInternetBanking, LoginKey: legacyIndex(oldKey, "login", loginValue(tt.login)),
				CreatedAt: now, UpdatedAt: now}
			if tt.username != "" {
				rec.SealedUsername, _ = ring.Seal([]byte(tt.username), domain.RecordUsernameAD(rec.ID))
			}
			if err := st.Records().Create(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if tt.taken {
				newer := rec
				newer.ID, newer.SealedUsername, newer.LoginKey = domain.NewID(), nil, ring.BlindIndex(seed.company, "login", loginValue(tt.login))
				if err := st.Records().Create(ctx, newer); err != nil {
					t.Fatal(err)
				}
			}
			records[tt.name] = rec.ID
		}
		rep, err := st.Rotate(ctx, ring, storage.RotateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, tt := range tests {
			got, err := st.Records().Get(ctx, scope, records[tt.name])
			if err != nil {
				t.Fatal(err)
			}
			var outcome string
			switch {
			case got.LoginKey == nil:
				outcome = "cleared"
			case bytes.Equal(got.LoginKey, ring.BlindIndex(seed.company, "login", loginValue(tt.login))):
				outcome = "rekeyed"
			case bytes.Equal(got.LoginKey, legacyIndex(oldKey, "login", loginValue(tt.login))):
				outcome = "kept"
			default:
				outcome = fmt.Sprintf("rewritten to something else (%x)", got.LoginKey)
			}
			if outcome != tt.want {
				t.Errorf("%s: login key %s, want %s", tt.name, outcome, tt.want)
			}
			if tt.want == "kept" {
				kept++
			}
		}
		if rep.KeptLogins != kept {
			t.Errorf("report counts %d kept login keys, want %d", rep.KeptLogins, kept)
		}
	})
}
