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

// matchExpr renders a search as the dialect's full-text query: every
// group must match, a group being one word or the alternatives of a
// misspelt one (typo.go), each word as a prefix so "shir" finds "shirt"
// while typing.
//   - SQLite FTS5: "shir"* ("blue"* OR "blau"*)  (quoted strings are never operators)
//   - PostgreSQL:  shir:* & (blue:* | blau:*)   (for to_tsquery('simple', …))
func matchExpr(d store.Dialect, groups [][]string) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		words := make([]string, len(g))
		for j, t := range g {
			if d == store.Postgres {
				words[j] = t + ":*"
			} else {
				words[j] = `"` + t + `"*`
			}
		}
		sep := " OR "
		if d == store.Postgres {
			sep = " | "
		}
		parts[i] = strings.Join(words, sep)
		if len(words) > 1 {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	if d == store.Postgres {
		return strings.Join(parts, " & ")
	}
	return strings.Join(parts, " ")
}

// wordGroups is each term as a group of one.
func wordGroups(terms []string) [][]string {
	out := make([][]string, len(terms))
	for i, t := range terms {
		out[i] = []string{t}
	}
	return out
}
