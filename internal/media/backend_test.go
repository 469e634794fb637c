package media

import (
	"context"
	"io"
	"sort"
	"testing"

	"agora/internal/media/mediatest"
)

// eachBackend runs fn, in parallel, on a fresh directory bucket ("dir") and
// on a fresh bucket of a real S3 server ("s3", Versity Gateway, which checks
// signatures). dir is where the objects land as files in either case (the
// gateway's posix backend keeps one file per object), for the tests that
// must look behind the API.
func eachBackend(t *testing.T, fn func(t *testing.T, s *Store, dir string)) {
	t.Helper()
	for _, backend := range []string{"dir", "s3"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			s, dir := openBackend(t, backend)
			fn(t, s, dir)
		})
	}
}

func openBackend(t *testing.T, backend string) (*Store, string) {
	t.Helper()
	if backend == "dir" {
		return openTemp(t)
	}
	srv := mediatest.Start(t)
	s, err := Open(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, srv.Dir
}

// objects lists the keys in s's bucket, sorted.
func objects(t *testing.T, s *Store) []string {
	t.Helper()
	var keys []string
	it := s.bucket.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("list bucket: %v", err)
		}
		keys = append(keys, obj.Key)
	}
	sort.Strings(keys)
	return keys
}
