package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// okraNodeDir installs the unmodified okra-node packages from the npm
// registry into a temporary directory: 0.2.0 as okn2 and 0.1.17 (the older
// spellings) as okn1. Nothing of them is kept in the repository.
func okraNodeDir(t *testing.T) string {
	t.Helper()
	npm, errNPM := exec.LookPath("npm")
	_, errNode := exec.LookPath("node")
	if errNPM != nil || errNode != nil {
		if os.Getenv("BANKAUTH_REQUIRE_BROWSER") == "1" || os.Getenv("BANKAUTH_REQUIRE_NODE") == "1" {
			t.Fatal("node and npm are needed to run okra-node against the server")
		}
		t.Skip("node or npm not found: cannot run okra-node")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"okra-node-compat","private":true,"type":"module"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--silent",
		"okn2@npm:okra-node@0.2.0", "okn1@npm:okra-node@0.1.17")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install okra-node: %v\n%s", err, out)
	}
	return dir
}

// okraNodeDriver calls every request okra-node 0.2.0's models define
// through the library's own request code (defineAction: required keys,
// pagination defaults, URL parameters, its axios wrapper), and a few
// okra-node 0.1.17 functions whose spellings differ. Requests to
// api.okra.ng are pointed at the test server's sandbox base. It prints one
// JSON line per call.
const okraNodeDriver = `
import axios from 'axios';
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const cfg = JSON.parse(process.env.OKRA_CFG);
axios.interceptors.request.use(c => { c.url = c.url.replace(/^https:\/\/api\.okra\.ng\/v2\/(sandbox\/)?/, cfg.base); return c; });
const v2 = await import('okn2');
const Models = (await import('okn2/src/models/models.js')).default;
const v1 = require('okn1');

const ids = cfg.ids;
const hex = 'aaaaaaaaaaaaaaaaaaaaaaaa';
// Options of the calls of the offered products, with real ids.
const given = {
  'accounts.getById': { id: ids.account },
  'accounts.getAccountDetails': { account: ids.account },
  'accounts.getByCustomerDate': { customer: ids.customer, from: '2000-01-01', to: '2999-12-31' },
  'accounts.getByCustomer': { customer: ids.customer },
  'accounts.getByBalance': { balance: ids.balance },
  'accounts.getByBank': { bank: ids.bank },
  'accounts.getByName': { name: ids.name },
  'customers.findByKeyValue': { key: 'bvn', value: ids.bvn },
  'customers.flag': { bank: ids.bank, customer: ids.spare },
  'customers.unflag': { bank: ids.bank, customer: ids.spare, unflag: true },
  'customers.remove': { customer: ids.spare },
  'sandbox.createCustomers': { noOfAccount: 1, name: 'Test Person', bank: 'sandbox-bank', username: 'user_new', password: 'pass_good', type: 'ind', volume: 'low', identity: 1, internetSpeed: 2 },
  'sandbox.getCustomerById': { customer: ids.customer },
  'sandbox.generateCustomer': { number: 2 },
  'auths.getById': { id: ids.auth },
  'auths.getByCustomerDate': { customer: ids.customer, from: '2000-01-01', to: '2999-12-31' },
  'auths.getByCustomer': { customer: ids.customer },
  'auths.getByDate': { from: '2000-01-01', to: '2999-12-31' },
  'auths.getByBank': { bank: ids.bank },
  'balance.getById': { id: ids.balance },
  'balance.getByAccount': { account_id: ids.account },
  'balance.getByType': { type: 'available_balance', value: '1000' },
  'balance.getByCustomerDate': { customer: ids.customer, from: '2000-01-01', to: '2999-12-31' },
  'balance.getByCustomer': { customer: ids.customer },
  'balance.getByDate': { from: '2000-01-01', to: '2999-12-31' },
  'balance.check': { record_id: ids.record, account_id: ids.account },
  'balance.refresh': { account_id: ids.account },
  'balance.enhanced': { account_id: ids.account, customer_id: ids.customer, from: '2000-01-01', to: '2999-12-31' },
  'banks.getById': { id: ids.bank },
};
// Methods the public classes use for each call (POST unless named).
const methods = {
  'banks.fetch': 'GET', 'banks.getById': 'GET',
  'wallet.getByCompanyId': 'GET',
  'reports.fetch': 'GET', 'reports.getById': 'GET', 'reports.download': 'GET', 'reports.getByScheduledId': 'GET',
  'reports.delete': 'DELETE', 'reports.deleteScheduled': 'DELETE', 'reports.update': 'PUT',
};
function out(o) { process.stdout.write(JSON.stringify(o) + '\n'); }
function summary(data) {
  if (data === null || typeof data !== 'object') return {};
  const keys = Object.keys(data).filter(k => typeof data[k] !== 'function').sort();
  const counts = {};
  for (const k of keys) counts[k] = Array.isArray(data[k]) ? data[k].length : (data[k] === null ? -1 : typeof data[k] === 'object' ? 1 : 0);
  return { keys, counts };
}
async function run(lib, name, fn) {
  try {
    const data = await fn();
    out({ lib, name, ok: true, status: 200, ...summary(data) });
  } catch (e) {
    if (e && e.http_error_code) out({ lib, name, ok: false, status: e.http_error_code, type: e.error_payload && e.error_payload.type, message: e.error_payload && e.error_payload.message });
    else if (e && e.response) out({ lib, name, ok: false, status: e.response.status, type: e.response.data && e.response.data.type, message: e.response.data && e.response.data.message });
    else out({ lib, name, ok: false, status: 0, message: String(e && e.message || e) });
  }
}

const client = new v2.Auth(cfg.secret, 'sandbox');
// The public methods of the offered groups, by the call their parameters
// pick (okra-node's check*Params). balance.getByDate has none, and
// accounts.getByBalance none that works (its case is "options.balance" in
// a switch (true), true only for a balance of true): their models are
// reached through defineAction like the calls of other groups.
const sk = cfg.secret, env = 'sandbox';
const pub = {
  accounts: new v2.Accounts(sk, env), customers: new v2.Customers(sk, env), auths: new v2.Auth(sk, env),
  balance: new v2.Balance(sk, env), banks: new v2.Banks(sk, env), sandbox: new v2.Sandbox(sk, env),
};
const publicCall = {
  'accounts.fetch': o => pub.accounts.get(o), 'accounts.getById': o => pub.accounts.get(o),
  'accounts.getAccountDetails': o => pub.accounts.get(o), 'accounts.getByCustomerDate': o => pub.accounts.get(o),
  'accounts.getByCustomer': o => pub.accounts.get(o),
  'accounts.getByBank': o => pub.accounts.get(o), 'accounts.getByName': o => pub.accounts.get(o),
  'customers.findByKeyValue': o => pub.customers.get(o), 'customers.getCustomerList': o => pub.customers.get(o),
  'customers.flag': o => pub.customers.flag(o), 'customers.unflag': o => pub.customers.unflag(o),
  'customers.remove': o => pub.customers.remove(o),
  'auths.fetch': o => pub.auths.get(o), 'auths.getById': o => pub.auths.get(o), 'auths.getByCustomerDate': o => pub.auths.get(o),
  'auths.getByCustomer': o => pub.auths.get(o), 'auths.getByDate': o => pub.auths.get(o), 'auths.getByBank': o => pub.auths.get(o),
  'balance.getById': o => pub.balance.get(o), 'balance.getByAccount': o => pub.balance.get(o),
  'balance.getByType': o => pub.balance.get(o), 'balance.getByCustomerDate': o => pub.balance.get(o),
  'balance.getByCustomer': o => pub.balance.get(o), 'balance.check': o => pub.balance.check(o),
  'balance.refresh': o => pub.balance.refresh(o), 'balance.enhanced': o => pub.balance.enhanced(o),
  'banks.fetch': o => pub.banks.get(o), 'banks.getById': o => pub.banks.get(o),
  'sandbox.listCustomers': o => pub.sandbox.getCustomers(o), 'sandbox.getCustomerById': o => pub.sandbox.getCustomers(o),
  'sandbox.createCustomers': o => pub.sandbox.createCustomer(o), 'sandbox.generateCustomer': o => pub.sandbox.generateCustomers(o),
};
for (const group of Object.keys(Models)) {
  for (const call of Object.keys(Models[group])) {
    const key = group.toLowerCase() + '.' + call;
    const model = JSON.parse(JSON.stringify(Models[group][call]));
    let options = given[key];
    if (!options) {
      options = {};
      for (const k of Object.keys(model.validKeys || model.valid || {})) options[k] = k === 'from' ? '2000-01-01' : k === 'to' ? '2999-12-31' : hex;
    }
    const method = methods[key] || 'POST';
    const via = publicCall[key];
    await run('0.2.0', key, via ? () => via({ ...options }) : () => client.defineAction({ ...options }, model, cfg.secret, method));
  }
}

// okra-node 0.1.17: the spellings 0.2.0 changed, and banks without a key.
const cb = (resolve, reject) => (err, data) => err ? reject(new Error(err)) : resolve(data);
const call1 = f => new Promise((resolve, reject) => { Promise.resolve(f(cb(resolve, reject))).catch(reject); });
await run('0.1.17', 'getBalanceByAccount', () => call1(c => v1.getBalanceByAccount(cfg.secret, { account: ids.account, page: 1, limit: 10 }, c)));
await run('0.1.17', 'getCustomerByIdentity', () => call1(c => v1.getCustomerByIdentity(cfg.secret, { type: 'bvn', value: ids.bvn }, c)));
await run('0.1.17', 'getBanks', () => call1(c => v1.getBanks(c)));
await run('0.1.17', 'getBankById', () => call1(c => v1.getBankById(ids.bank, c)));
await run('0.1.17', 'getAccountByCustomerDate', () => call1(c => v1.getAccountByCustomerDate(cfg.secret, { customer: ids.customer, from: '2000-01-01', to: '2999-12-31', page: 1, limit: 10 }, c)));
await run('0.1.17', 'getAuth', () => call1(c => v1.getAuth(cfg.secret, { page: '1', limit: '10' }, c)));
`

// okraNodeResult is one line the driver prints.
type okraNodeResult struct {
	Lib     string         `json:"lib"`
	Name    string         `json:"name"`
	OK      bool           `json:"ok"`
	Status  int            `json:"status"`
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Keys    []string       `json:"keys"`
	Counts  map[string]int `json:"counts"`
}

// offeredGroups are okra-node's groups of the products this server offers.
var offeredGroups = map[string]bool{"auths": true, "balance": true, "accounts": true, "customers": true, "banks": true, "sandbox": true}

// okraNodeWant says what each call of the offered groups must answer: the
// collection it carries and how many items (at least). balance.enhanced is
// Okra's "enhanced balance", computed from transactions: a product this
// server does not offer.
var okraNodeWant = map[string]struct {
	key string
	min int
	// notOffered marks a call that must answer 501 PRODUCT_NOT_AVAILABLE.
	notOffered bool
}{
	"accounts.getById": {"accounts", 1, false}, "accounts.getAccountDetails": {"accounts", 1, false},
	"accounts.getByCustomerDate": {"accounts", 1, false}, "accounts.getByCustomer": {"accounts", 1, false},
	"accounts.getByBalance": {"accounts", 1, false}, "accounts.getByBank": {"accounts", 1, false},
	"accounts.getByName": {"accounts", 1, false}, "accounts.fetch": {"accounts", 1, false},
	"customers.findByKeyValue": {"customers", 1, false}, "customers.getCustomerList": {"customers", 1, false},
	"customers.flag": {"flagged", 0, false}, "customers.unflag": {"flagged", 0, false}, "customers.remove": {"removed", 0, false},
	"sandbox.createCustomers": {"customers", 1, false}, "sandbox.listCustomers": {"customers", 1, false},
	"sandbox.getCustomerById": {"customers", 1, false}, "sandbox.generateCustomer": {"customers", 2, false},
	"auths.getById": {"auths", 1, false}, "auths.getByCustomerDate": {"auths", 1, false}, "auths.getByCustomer": {"auths", 1, false},
	"auths.getByDate": {"auths", 1, false}, "auths.getByBank": {"auths", 1, false}, "auths.fetch": {"auths", 1, false},
	"balance.getById": {"balance", 1, false}, "balance.getByAccount": {"balance", 1, false}, "balance.getByType": {"balance", 1, false},
	"balance.getByCustomerDate": {"balance", 1, false}, "balance.getByCustomer": {"balance", 1, false},
	"balance.getByDate": {"balance", 1, false}, "balance.check": {"balance", 1, false}, "balance.refresh": {"callback_url", 0, false},
	"balance.enhanced": {"", 0, true},
	"banks.fetch":      {"banks", 1, false}, "banks.getById": {"banks", 1, false},
}

// TestOkraNodeCompat runs okra-node against the server: every call of the
// Auth, Balance, Accounts, Customers, Banks and Sandbox groups works (but
// enhanced balance, a transactions product); the calls of products not
// offered answer 501 PRODUCT_NOT_AVAILABLE; identity's are left to the
// identity routes.
func TestOkraNodeCompat(t *testing.T) {
	dir := okraNodeDir(t)
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Okra Node Shop")
	sk := keys.Sandbox.SecretKey
	l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
	spare := balLink(t, ts, keys, "sandbox-bank", "user_spare", "pass_good", []string{"auth"})
	r := ts.call("POST", "/v2/sandbox/balance/getByAccount", sk, map[string]any{"account_id": l.Accounts["current"]})
	bals, _ := field(r.JSON, "data.balance").([]any)
	if len(bals) == 0 {
		t.Fatalf("no stored balance after a link with balance: %s", r.Body)
	}
	r = ts.call("POST", "/v2/sandbox/accounts/getById", sk, map[string]any{"id": l.Accounts["current"]})
	accounts, _ := field(r.JSON, "data.accounts").([]any)
	if len(accounts) != 1 {
		t.Fatalf("accounts/getById: %s", r.Body)
	}
	cfg, _ := json.Marshal(map[string]any{
		"base": ts.URL + "/v2/sandbox/", "secret": sk,
		"ids": map[string]any{
			"auth": l.Auth, "customer": l.Customer, "record": l.Record, "account": l.Accounts["current"],
			"balance": field(bals[0], "id"), "bank": field(accounts[0], "bank._id"), "name": field(accounts[0], "name"),
			"bvn": "22222222222", "spare": spare.Customer,
		},
	})
	script := filepath.Join(dir, "driver.mjs")
	if err := os.WriteFile(script, []byte(okraNodeDriver), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OKRA_CFG="+string(cfg))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("okra-node driver: %v\n%s", err, stderr.String())
	}
	results := map[string]okraNodeResult{}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	for sc.Scan() {
		var res okraNodeResult
		if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
			t.Fatalf("driver printed %q: %v", sc.Text(), err)
		}
		results[res.Lib+" "+res.Name] = res
	}

	var works, notOffered, identity, clientBugs, total int
	var names []string
	for k := range results {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		res := results[k]
		if res.Lib != "0.2.0" {
			continue
		}
		total++
		group, _, _ := strings.Cut(res.Name, ".")
		want, listed := okraNodeWant[res.Name]
		switch {
		case offeredGroups[group] && !listed:
			t.Errorf("%s: okra-node call without an expectation here (%+v)", res.Name, res)
		case res.Status == 0 && !offeredGroups[group]:
			// okra-node fails before sending (reports.getByScheduledId reads
			// validkeys, misspelt in its model).
			clientBugs++
			t.Logf("%s: okra-node fails without a request: %s", res.Name, res.Message)
		case offeredGroups[group] && want.notOffered, !offeredGroups[group] && group != "identity":
			if res.Status != 501 || res.Type != "PRODUCT_NOT_AVAILABLE" {
				t.Errorf("%s: want 501 PRODUCT_NOT_AVAILABLE, got %d %s %s", res.Name, res.Status, res.Type, res.Message)
			} else {
				notOffered++
			}
		case offeredGroups[group]:
			if !res.OK || (want.min > 0 && res.Counts[want.key] < want.min) || (want.min == 0 && !contains(res.Keys, want.key)) {
				t.Errorf("%s: want success with %s (at least %d), got %+v", res.Name, want.key, want.min, res)
			} else {
				works++
			}
		default:
			// Identity's routes are another feature's; counted, not held.
			identity++
			if res.OK {
				works++
			}
			t.Logf("%s (identity): %d %s", res.Name, res.Status, res.Type)
		}
	}
	resolved := 0
	for _, res := range results {
		if res.Lib == "0.2.0" && res.OK {
			resolved++
		}
	}
	t.Logf("okra-node 0.2.0: %d of %d calls work as expected (%d answer 2xx), %d answer 501 PRODUCT_NOT_AVAILABLE, %d are identity's, %d fail inside okra-node",
		works, total, resolved, notOffered, identity, clientBugs)

	// okra-node 0.1.17's spellings.
	for _, c := range []struct{ name, key string }{
		{"getBalanceByAccount", "balance"}, {"getCustomerByIdentity", "customers"}, {"getBanks", "banks"},
		{"getBankById", "banks"}, {"getAccountByCustomerDate", "accounts"}, {"getAuth", "auths"},
	} {
		res, found := results["0.1.17 "+c.name]
		if !found || !res.OK || res.Counts[c.key] < 1 {
			t.Errorf("okra-node 0.1.17 %s: want %s, got %+v", c.name, c.key, res)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
