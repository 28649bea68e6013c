package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
)

// rowScan is how one row type is read without reflection: dest are the
// pointers rows.Scan fills (into one reused row value) and take turns what
// the last Scan filled into the domain object. take must read the row
// through its pointer (a method value would copy it once, empty).
type rowScan[D any] struct {
	dest []any
	take func() D
}

// scanAll runs query and reads every row through rs; capHint sizes the
// result up front (a page's limit, the number of ids asked for).
func scanAll[D any](ctx context.Context, r *repos, what, query string, capHint int, rs rowScan[D], args ...any) ([]D, error) {
	out, _, err := scanRows(ctx, r, what, query, capHint, rs, false, args...)
	return out, err
}

// scanRows is scanAll for a query that may start with a total_docs column
// (withTotal), returned as the count.
func scanRows[D any](ctx context.Context, r *repos, what, query string, capHint int, rs rowScan[D], withTotal bool, args ...any) ([]D, int, error) {
	rows, err := r.bound(ctx, r.s.scanned(query)).QueryxContext(ctx, args...)
	if err != nil {
		return nil, 0, r.s.mapErr(err, what, "list "+what)
	}
	defer rows.Close()
	var total dbInt
	dest := rs.dest
	if withTotal {
		dest = append(append(make([]any, 0, len(rs.dest)+1), &total), rs.dest...)
	}
	out := make([]D, 0, capHint)
	for rows.Next() {
		if err := rows.Rows.Scan(dest...); err != nil {
			return nil, 0, fmt.Errorf("list %s: %w", what, err)
		}
		out = append(out, rs.take())
	}
	if err := rows.Err(); err != nil {
		return nil, 0, r.s.mapErr(err, what, "list "+what)
	}
	return out, int(total), nil
}

// scanByIDs reads the rows of s whose col is one of ids (repeats
// dropped; no ids ask nothing): query gets the condition, and runs with
// s's company and env, then the condition's argument. perID sizes the
// result for each id.
func scanByIDs[D any](ctx context.Context, r *repos, what, col string, ids []domain.ID, perID int, rs rowScan[D], s domain.Scope,
	query func(cond string) string) ([]D, error) {
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	cond, arg := r.s.d.inIDs(col, ids)
	return scanAll(ctx, r, what, query(cond), perID*len(ids), rs, s.CompanyID, string(s.Env), arg)
}

// scanOne runs query and reads its one row through rs; no row is not
// found.
func scanOne[D any](ctx context.Context, r *repos, what, query string, rs rowScan[D], args ...any) (D, error) {
	var zero D
	rows, err := r.bound(ctx, r.s.scanned(query)).QueryxContext(ctx, args...)
	if err != nil {
		return zero, r.s.mapErr(err, what, "get "+what)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return zero, r.s.mapErr(err, what, "get "+what)
		}
		return zero, r.s.mapErr(sql.ErrNoRows, what, "get "+what)
	}
	if err := rows.Rows.Scan(rs.dest...); err != nil {
		return zero, fmt.Errorf("get %s: %w", what, err)
	}
	return rs.take(), nil
}

// inScope is rs without the company_id and env columns, the second and
// third of every scoped row type, for a query whose WHERE fixes both: its
// rows carry the scope's, so they are set once here instead of sent and
// decoded row by row. company and env point into rs's row.
func inScope[D any](rs rowScan[D], company, env *string, s domain.Scope) rowScan[D] {
	*company, *env = s.CompanyID, string(s.Env)
	dest := make([]any, 0, len(rs.dest)-2)
	dest = append(append(dest, rs.dest[0]), rs.dest[3:]...)
	return rowScan[D]{dest: dest, take: rs.take}
}

// scopedCols is cols without company_id and env, as inScope reads them.
func scopedCols(cols string) string {
	const scope = "id, company_id, env, "
	if !strings.HasPrefix(cols, scope) {
		panic("storage: scoped columns must start with " + scope)
	}
	return "id, " + strings.TrimPrefix(cols, scope)
}
