package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"agora/internal/store"
)

// Typo tolerance (issue 15). A search that matches nothing is tried once
// more with each word of MinTypoRunes letters or more that matches nothing
// replaced by the catalog's words one edit away (a letter added, dropped,
// changed, or two swapped): "shrit" finds "shirt". Only then, so a search
// that matches pays nothing, and the shopper is told what was searched
// for instead. The catalog's words are those of product names and brands
// (the search index's vocabulary on SQLite, search_vocab on PostgreSQL:
// migration 0010).

// MinTypoRunes is the shortest word a typo is looked for in: shorter ones
// are one edit away from too many others.
const MinTypoRunes = 5

// maxAlternatives bounds the words one misspelt word may stand for,
// the commonest first.
const maxAlternatives = 4

// Correct returns q with its misspelt words replaced, the search as it
// will be understood (for "Showing results for …"), and whether anything
// was replaced. Call it when q matched nothing.
func (c *Catalog) Correct(ctx context.Context, q ListQuery) (ListQuery, string, bool) {
	terms := searchTerms(q.Query)
	alts := make([][]string, len(terms))
	changed := false
	for i, t := range terms {
		alts[i] = []string{t}
		if utf8.RuneCountInString(t) < MinTypoRunes {
			continue
		}
		found, err := c.termMatches(ctx, t)
		if err != nil || found {
			continue // an error: search as typed (it matched nothing anyway)
		}
		words, err := c.vocabulary(ctx, edits1(t))
		if err != nil || len(words) == 0 {
			continue
		}
		alts[i], changed = words, true
	}
	if !changed {
		return q, "", false
	}
	shown := make([]string, len(alts))
	for i, a := range alts {
		shown[i] = a[0]
	}
	q.alts = alts
	return q, strings.Join(shown, " "), true
}

// termMatches reports whether any product's text has a word starting
// with t.
func (c *Catalog) termMatches(ctx context.Context, t string) (bool, error) {
	query := `SELECT 1 FROM product_search WHERE product_search MATCH $1 LIMIT 1`
	if c.db.Dialect == store.Postgres {
		query = `SELECT 1 FROM products WHERE search @@ to_tsquery('simple', agora_fold($1)) LIMIT 1`
	}
	rows, err := c.db.Query(ctx, query, matchExpr(c.db.Dialect, [][]string{{t}}))
	if err != nil {
		return false, fmt.Errorf("catalog: typo check: %w", err)
	}
	defer rows.Close()
	return rows.Next(), rows.Err()
}

// vocabulary returns those of words that product names or brands use, the
// commonest first (by products on SQLite; alphabetically on PostgreSQL,
// whose vocabulary keeps no counts), at most maxAlternatives.
func (c *Catalog) vocabulary(ctx context.Context, words []string) ([]string, error) {
	if len(words) == 0 {
		return nil, nil
	}
	var query string
	args := make([]any, len(words))
	marks := make([]string, len(words))
	for i, w := range words {
		args[i] = w
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	if c.db.Dialect == store.Postgres {
		query = `SELECT term FROM search_vocab WHERE term IN (` + strings.Join(marks, ", ") + `) ORDER BY term LIMIT ` + fmt.Sprint(maxAlternatives)
	} else {
		query = `SELECT term FROM product_search_vocab WHERE term IN (` + strings.Join(marks, ", ") + `) AND col IN ('name', 'brand')
			GROUP BY term ORDER BY sum(doc) DESC, term LIMIT ` + fmt.Sprint(maxAlternatives)
	}
	// Not through the statement cache: every word makes its own text.
	rows, err := c.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: typo words: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, fmt.Errorf("catalog: typo words: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// typoAlphabet is what a changed or added letter may be: the letters and
// digits of most product names; the word's own letters are added.
const typoAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// edits1 returns the words one edit from w: a letter dropped, two
// neighbours swapped, a letter changed or added (Damerau-Levenshtein
// distance 1), each once, w itself left out.
func edits1(w string) []string {
	r := []rune(w)
	alphabet := []rune(typoAlphabet)
	for _, c := range r {
		if !slices.Contains(alphabet, c) {
			alphabet = append(alphabet, c)
		}
	}
	seen := map[string]bool{w: true}
	var out []string
	add := func(s []rune) {
		if k := string(s); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for i := range r {
		add(slices.Concat(r[:i], r[i+1:])) // dropped
		if i+1 < len(r) {
			s := slices.Clone(r)
			s[i], s[i+1] = s[i+1], s[i]
			add(s) // swapped
		}
		for _, c := range alphabet {
			s := slices.Clone(r)
			s[i] = c
			add(s) // changed
		}
	}
	for i := 0; i <= len(r); i++ {
		for _, c := range alphabet {
			add(slices.Concat(r[:i], []rune{c}, r[i:])) // added
		}
	}
	return out
}
