package store

import "strings"

// likeEscaper escapes LIKE's wildcards and the escape character itself.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// LikeContains returns the pattern that matches any text holding s, for
// `LIKE $n ESCAPE '\'` (both dialects): '%', '_' and '\' in s match
// themselves. Case folding is the caller's (lower() on both sides).
func LikeContains(s string) string { return "%" + likeEscaper.Replace(s) + "%" }
