package store

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Set-based writes (issue 16) pass a whole list, or a whole table of rows,
// as one bound parameter: the SQL text stays the same whatever the length,
// so PostgreSQL's per-connection statement cache (pgx) keeps one prepared
// statement for it, where an IN list of n placeholders would be parsed and
// planned again for every length, and no list can outgrow the limit on
// bound parameters (32,766 on SQLite).

// InIDs returns the condition "col is one of the ids in parameter $n",
// whose argument is IDsArg's.
func (d Dialect) InIDs(col string, n int) string {
	if d == Postgres {
		return fmt.Sprintf("%s = ANY($%d::bigint[])", col, n)
	}
	return fmt.Sprintf("%s IN (SELECT value FROM json_each($%d))", col, n)
}

// IDsArg is the argument of InIDs: an array on PostgreSQL, a JSON array
// on SQLite.
func (d Dialect) IDsArg(ids []int64) any {
	if d == Postgres {
		return ids
	}
	if len(ids) == 0 {
		return "[]" // not null, which json_each reads as one row
	}
	b, _ := json.Marshal(ids) // int64s always marshal
	return string(b)
}

// JSONRows returns a derived table, alias(cols), of the rows in parameter
// $n: a JSON array of objects keyed by column name (RowsArg). Each column
// is "name type", the type PostgreSQL reads it as (bigint, integer, text);
// SQLite takes JSON's own types. Columns and alias are SQL, written by the
// caller: never input.
func (d Dialect) JSONRows(n int, alias string, cols ...string) string {
	if d == Postgres {
		return fmt.Sprintf("json_to_recordset($%d::json) AS %s(%s)", n, alias, strings.Join(cols, ", "))
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		name, _, _ := strings.Cut(c, " ")
		sel[i] = fmt.Sprintf("value->>'%s' AS %s", name, name)
	}
	return fmt.Sprintf("(SELECT %s FROM json_each($%d)) AS %s", strings.Join(sel, ", "), n, alias)
}

// RowsArg is the argument of JSONRows: rows, a slice of structs whose
// json tags name the columns, as JSON text.
func RowsArg(rows any) (string, error) {
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("store: rows: %w", err)
	}
	return string(b), nil
}
