//go:build !unix

package store

// SQLiteInUse cannot tell on this system; it reports none.
func SQLiteInUse(path string) (pid int, err error) { return 0, nil }
