package catalog

import (
	"strings"
	"unicode"

	"agora/internal/store"
)

// Search limits: a query is a few words, not a document.
const (
	MaxQueryLen  = 200 // characters
	maxTerms     = 8
	maxTermRunes = 40
)

// searchTerms splits a shopper's query into words of letters and digits,
// lower-cased. Everything else (quotes, operators, parentheses, SQL, HTML)
// is a separator, so no input can reach the full-text engines as syntax.
func searchTerms(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	var terms []string
	for _, w := range words {
		if len(terms) == maxTerms {
			break
		}
		if r := []rune(w); len(r) > maxTermRunes {
			w = string(r[:maxTermRunes])
		}
		terms = append(terms, w)
	}
	return terms
}

// matchExpr renders terms as the dialect's full-text query: every term
// must match, each as a prefix so "shir" finds "shirt" while typing.
//   - SQLite FTS5: "shir"* "blue"*  (quoted strings are never operators)
//   - PostgreSQL:  shir:* & blue:*  (for to_tsquery('simple', …))
func matchExpr(d store.Dialect, terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		if d == store.Postgres {
			parts[i] = t + ":*"
		} else {
			parts[i] = `"` + t + `"*`
		}
	}
	if d == store.Postgres {
		return strings.Join(parts, " & ")
	}
	return strings.Join(parts, " ")
}
