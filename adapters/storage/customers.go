package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- customers

const customerCols = "id, company_id, env, name, created_at, updated_at"

type customerRow struct {
	ID        string `db:"id"`
	CompanyID string `db:"company_id"`
	Env       string `db:"env"`
	Name      string `db:"name"`
	CreatedAt dbTime `db:"created_at"`
	UpdatedAt dbTime `db:"updated_at"`
}

func (w customerRow) domain() domain.Customer {
	return domain.Customer{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Name: w.Name,
		CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

// scan reads customer rows into w, one at a time.
func (w *customerRow) scan() rowScan[domain.Customer] {
	return rowScan[domain.Customer]{dest: []any{&w.ID, &w.CompanyID, &w.Env, &w.Name, &w.CreatedAt, &w.UpdatedAt}, take: func() domain.Customer { return w.domain() }}
}

// customerScopedCols is customerCols without company_id and env, for queries scoped in WHERE.
var customerScopedCols = scopedCols(customerCols)

// scanIn is scan for rows of customerScopedCols, which carry s's company and env.
func (w *customerRow) scanIn(s domain.Scope) rowScan[domain.Customer] {
	return inScope(w.scan(), &w.CompanyID, &w.Env, s)
}

func customerToRow(c domain.Customer) customerRow {
	return customerRow{c.ID, c.CompanyID, string(c.Env), c.Name, ts(c.CreatedAt), ts(c.UpdatedAt)}
}

var customerList = listSpec{
	table: "customers", cols: customerCols, what: "customers",
	customer: "customers.id = ?",
	bank:     "EXISTS (SELECT 1 FROM records r WHERE r.customer_id = customers.id AND r.company_id = customers.company_id AND r.env = customers.env AND r.bank_id = ?)",
	account:  "EXISTS (SELECT 1 FROM accounts a WHERE a.customer_id = customers.id AND a.company_id = customers.company_id AND a.env = customers.env AND a.id = ?)",
	record:   "EXISTS (SELECT 1 FROM records r WHERE r.customer_id = customers.id AND r.company_id = customers.company_id AND r.env = customers.env AND r.id = ?)",
}

type customerRepo struct{ r *repos }

func (c customerRepo) Create(ctx context.Context, cu domain.Customer) error {
	_, err := c.r.named(ctx, "customer", "create customer", insertSQL("customers", customerCols), customerToRow(cu))
	return err
}

func (c customerRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Customer, error) {
	var w customerRow
	return scanOne(ctx, c.r, "customer", "SELECT "+customerScopedCols+" FROM customers WHERE id = ? AND company_id = ? AND env = ?",
		w.scanIn(s), id, s.CompanyID, string(s.Env))
}

func (c customerRepo) Update(ctx context.Context, cu domain.Customer) error {
	n, err := c.r.named(ctx, "customer", "update customer",
		"UPDATE customers SET "+updateSet("name, updated_at")+" WHERE id = :id AND company_id = :company_id AND env = :env",
		customerToRow(cu))
	return mustAffect(n, err, "customer")
}

func (c customerRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Customer, int, error) {
	var w customerRow
	return listOf(ctx, c.r, customerList, customerScopedCols, w.scanIn(s), s, f)
}

// GetMany returns the customers of ids in the scope that exist, in no
// particular order.
func (c customerRepo) GetMany(ctx context.Context, s domain.Scope, ids []domain.ID) ([]domain.Customer, error) {
	var w customerRow
	return scanByIDs(ctx, c.r, "customers", "id", ids, 1, w.scanIn(s), s, func(cond string) string {
		return "SELECT " + customerScopedCols + " FROM customers WHERE company_id = ? AND env = ? AND " + cond
	})
}

// namedPage is how a page of table brings its rows' customer references:
// a join on the customer's primary key, cheaper per row than a second
// query matching the page's customer ids. A missing customer comes as an
// empty name, what its reference shows anyway. The leading id columns of
// cols (id and *_id) and the customer's name come as one column joined
// with commas (see idList).
type namedPage struct {
	join, cols string
	ids        int // how many leading columns are ids
	// where id, customer_id and created_at are among the row's columns
	// (-1: missing), for the page's order and its customers (pageKeys)
	id, customer, created int
}

func newNamedPage(table, cols string) namedPage {
	names := splitCols(cols)
	ids := 0
	for ids < len(names) && (names[ids] == "id" || strings.HasSuffix(names[ids], "_id")) {
		ids++
	}
	packed := make([]string, ids+1)
	for i := range ids {
		packed[i] = table + "." + names[i]
	}
	packed[ids] = customerName
	return namedPage{join: customerJoin(table), ids: ids,
		cols: strings.Join(packed, " || ',' || ") + ", " + prefixCols(table, joinCols(names[ids:])),
		id:   slices.Index(names, "id"), customer: slices.Index(names, "customer_id"), created: slices.Index(names, "created_at")}
}

// pageKeys reads each row's pageRow from the destinations dest (one per
// column of np) fills.
func (np namedPage) pageKeys(dest []any) (func() pageRow, error) {
	at := func(i int) any {
		if i < 0 || i >= len(dest) {
			return nil
		}
		return dest[i]
	}
	id, ok1 := at(np.id).(*string)
	customer, ok2 := at(np.customer).(*string)
	created, ok3 := at(np.created).(*dbTime)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("page keys: id, customer_id and created_at are read into %T, %T and %T",
			at(np.id), at(np.customer), at(np.created))
	}
	return func() pageRow { return pageRow{*id, *customer, created.Time} }, nil
}

// idList reads a row's ids and its customer's name sent as one column
// joined with commas: the driver makes a string and database/sql a
// conversion for every column, and a page row has three or four ids. Ids
// never hold a comma, so the name is all that follows the last one; a
// column with fewer fields is refused.
type idList struct {
	ids  []*string
	name *string
}

// Scan implements sql.Scanner.
func (l idList) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("scan ids from %T", v)
	}
	for i, p := range l.ids {
		id, rest, ok := strings.Cut(s, ",")
		if !ok {
			return fmt.Errorf("scan ids: %d ids and a name, want %d", i, len(l.ids))
		}
		*p, s = id, rest
	}
	*l.name = s
	return nil
}

// packed is rs reading its first n columns, ids held as strings, and the
// customer's name into name, through one idList.
func packed[D any](rs rowScan[D], n int, name *string) (rowScan[D], error) {
	l := idList{ids: make([]*string, n), name: name}
	for i := range l.ids {
		p, ok := rs.dest[i].(*string)
		if !ok {
			return rowScan[D]{}, fmt.Errorf("pack ids: column %d is read into %T", i, rs.dest[i])
		}
		l.ids[i] = p
	}
	dest := append(append(make([]any, 0, len(rs.dest)-n+1), l), rs.dest[n:]...)
	return rowScan[D]{dest: dest, take: rs.take}, nil
}

// customerJoin joins the customer of each row of table as cu, for
// customerName. Its two arguments are the scope's company and env (as
// listNamed passes them): the join then hashes the scope's customers
// alone, on their id, where matching the row's columns hashed every
// customer on three.
func customerJoin(table string) string {
	return " LEFT JOIN customers cu ON cu.id = " + table + ".customer_id AND cu.company_id = ? AND cu.env = ?"
}

// customerName is the column of customerJoin's name, empty when missing.
const customerName = "COALESCE(cu.name, '')"

// pageRow is what a named page needs of each row: its customer, and the
// created time and id a page is ordered by.
type pageRow struct {
	ID, CustomerID domain.ID
	CreatedAt      time.Time
}

// newestFirst orders rows as a page's ORDER BY created_at DESC, id DESC
// does. Only rows created in the same microsecond fall back on the id,
// compared as bytes: for ids of fixed-length lowercase hex that is the
// database's order under C, C.UTF-8, the usual language collations and
// SQLite's BINARY.
func newestFirst(x, y pageRow) int {
	if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(y.ID, x.ID)
}

// inOrder puts rows, and the keys and names that go with them one for
// one, in keys' newestFirst order: a join delivers a page's rows in any
// order. They mostly come in order, which costs one pass to see.
func inOrder[D any](rows []D, keys []pageRow, names []string) ([]D, []pageRow, []string) {
	if slices.IsSortedFunc(keys, newestFirst) {
		return rows, keys, names
	}
	perm := make([]int, len(keys))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(i, j int) int { return newestFirst(keys[i], keys[j]) })
	return permuted(rows, perm), permuted(keys, perm), permuted(names, perm)
}

func permuted[T any](in []T, perm []int) []T {
	out := make([]T, len(perm))
	for i, j := range perm {
		out[i] = in[j]
	}
	return out
}

// listNamed runs the page and returns it with one reference per customer it
// names, in the order the page first names them, each with only its id,
// scope and name.
func listNamed[D any](ctx context.Context, r *repos, np namedPage, spec listSpec, rs rowScan[D],
	s domain.Scope, f domain.ListFilter) ([]D, []domain.Customer, int, error) {
	var name string
	limit := f.Page.Normalize().Limit
	keys, names := make([]pageRow, 0, limit), make([]string, 0, limit)
	key, err := np.pageKeys(rs.dest)
	if err == nil {
		rs, err = packed(rs, np.ids, &name)
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("list %s: %w", spec.what, err)
	}
	named := rowScan[D]{dest: rs.dest, take: func() D {
		keys, names = append(keys, key()), append(names, name)
		return rs.take()
	}}
	rows, total, err := listJoined(ctx, r, spec, np.join, []any{s.CompanyID, string(s.Env)}, np.cols, named, s, f)
	if err != nil {
		return nil, nil, 0, err
	}
	rows, keys, names = inOrder(rows, keys, names)
	refs := make([]domain.Customer, 0, len(keys))
	seen := make(map[domain.ID]bool, len(keys))
	for i, k := range keys {
		if !seen[k.CustomerID] {
			seen[k.CustomerID] = true
			refs = append(refs, domain.Customer{ID: k.CustomerID, CompanyID: s.CompanyID, Env: s.Env, Name: names[i]})
		}
	}
	return rows, refs, total, nil
}

const identifierCols = "id, company_id, env, customer_id, kind, blind_index, sealed, created_at"

type identifierRow struct {
	ID         string `db:"id"`
	CompanyID  string `db:"company_id"`
	Env        string `db:"env"`
	CustomerID string `db:"customer_id"`
	Kind       string `db:"kind"`
	BlindIndex []byte `db:"blind_index"`
	Sealed     []byte `db:"sealed"`
	CreatedAt  dbTime `db:"created_at"`
}

func (w identifierRow) domain() domain.CustomerIdentifier {
	return domain.CustomerIdentifier{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), CustomerID: w.CustomerID,
		Kind: domain.IdentifierKind(w.Kind), BlindIndex: blob(w.BlindIndex), Sealed: blob(w.Sealed), CreatedAt: w.CreatedAt.Time}
}

// AddIdentifier stores i unless the company already has the same kind and
// blind index in that env; either way it returns the owner. The no-op
// update makes the statement return the existing row in one round trip, so
// two concurrent calls agree on the owner.
func (c customerRepo) AddIdentifier(ctx context.Context, i domain.CustomerIdentifier) (domain.ID, error) {
	if i.ID == "" {
		i.ID = domain.NewID()
	}
	var owner struct {
		CustomerID string `db:"customer_id"`
	}
	err := c.r.namedGet(ctx, &owner, "customer identifier", "add customer identifier",
		insertSQL("customer_identifiers", identifierCols)+
			" ON CONFLICT (company_id, env, kind, blind_index) DO UPDATE SET kind = customer_identifiers.kind RETURNING customer_id",
		identifierRow{i.ID, i.CompanyID, string(i.Env), i.CustomerID, string(i.Kind), i.BlindIndex, blob(i.Sealed), ts(i.CreatedAt)})
	return owner.CustomerID, err
}

// FindByIdentifier matches any of the candidate indexes (one per key of the
// ring while a rotation is under way). Should a rotation window have left
// the same value under two indexes, the oldest identifier wins, as it does
// in AddIdentifier.
func (c customerRepo) FindByIdentifier(ctx context.Context, s domain.Scope, kind domain.IdentifierKind, blinds ...[]byte) (domain.Customer, error) {
	if len(blinds) == 0 {
		return domain.Customer{}, domain.NotFound("customer")
	}
	args := []any{s.CompanyID, string(s.Env), string(kind)}
	for _, b := range blinds {
		args = append(args, b)
	}
	var w customerRow
	err := c.r.get(ctx, &w, "customer",
		"SELECT "+prefixCols("c", customerCols)+" FROM customer_identifiers i JOIN customers c ON c.id = i.customer_id"+
			" WHERE i.company_id = ? AND i.env = ? AND i.kind = ? AND i.blind_index IN ("+placeholders(len(blinds))+")"+
			" AND c.company_id = i.company_id AND c.env = i.env ORDER BY i.created_at, i.id LIMIT 1",
		args...)
	return w.domain(), err
}

// placeholders is "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (c customerRepo) Identifiers(ctx context.Context, s domain.Scope, customerID domain.ID) ([]domain.CustomerIdentifier, error) {
	var rows []identifierRow
	if err := c.r.sel(ctx, &rows, "customer identifiers",
		"SELECT "+identifierCols+" FROM customer_identifiers WHERE company_id = ? AND env = ? AND customer_id = ? ORDER BY created_at, id",
		s.CompanyID, string(s.Env), customerID); err != nil {
		return nil, err
	}
	out := make([]domain.CustomerIdentifier, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

func (c customerRepo) DeleteIdentifiers(ctx context.Context, s domain.Scope, customerID domain.ID) error {
	_, err := c.r.exec(ctx, "customer identifiers", "delete customer identifiers",
		"DELETE FROM customer_identifiers WHERE company_id = ? AND env = ? AND customer_id = ?",
		s.CompanyID, string(s.Env), customerID)
	return err
}

// prefixCols qualifies every column of cols with alias.
func prefixCols(alias, cols string) string {
	names := splitCols(cols)
	for i, n := range names {
		names[i] = alias + "." + n
	}
	return joinCols(names)
}

func joinCols(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// SetFlagged flags or unflags a customer (customers/flag, customers/unflag).
func (c customerRepo) SetFlagged(ctx context.Context, s domain.Scope, id domain.ID, flagged bool, at time.Time) error {
	n, err := c.r.exec(ctx, "customer", "flag customer",
		"UPDATE customers SET flagged = ?, updated_at = ? WHERE id = ? AND company_id = ? AND env = ?",
		flagged, ts(at), id, s.CompanyID, string(s.Env))
	return mustAffect(n, err, "customer")
}

// Flagged reports whether a customer is flagged.
func (c customerRepo) Flagged(ctx context.Context, s domain.Scope, id domain.ID) (bool, error) {
	var flagged bool
	err := c.r.get(ctx, &flagged, "customer", "SELECT flagged FROM customers WHERE id = ? AND company_id = ? AND env = ?",
		id, s.CompanyID, string(s.Env))
	return flagged, err
}
