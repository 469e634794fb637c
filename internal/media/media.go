// Package media stores the store's uploaded pictures in object storage
// (gocloud.dev/blob: a local directory through fileblob, or an S3-compatible
// bucket through s3blob) under content-addressed keys, and serves them at
// /media/{key} with headers that let every cache keep them forever. It owns
// the key scheme and the bytes; it knows nothing of products or the database.
package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob" // registers "s3://" on blob.DefaultMux, for URLs without credentials

	"agora/internal/redact"
)

// Store is a media bucket. It is safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
	// decodes holds a token per image being decoded by Upload: a 40 MP
	// photo takes 160 MB and more while it is processed, so a burst of
	// uploads waits its turn instead of exhausting memory.
	decodes chan struct{}
	// Logger receives serving errors (5xx). If nil, slog.Default() is used.
	Logger *slog.Logger
}

// Open opens the bucket named by rawURL:
//
//   - "file:///abs/dir": a local (or shared, NFS) directory, created if missing;
//   - a plain path such as "./agora-data/media", read as a directory (see DirURL);
//   - "s3://bucket?endpoint=…&region=…&use_path_style=true": an S3-compatible
//     bucket, with the query parameters of gocloud.dev/blob/s3blob; credentials
//     come from the usual AWS environment variables and files, or from the
//     URL itself: s3://ACCESS_KEY:SECRET@bucket?… (see openS3).
func Open(ctx context.Context, rawURL string) (*Store, error) {
	if rawURL == "" {
		return nil, errors.New("media: no media location given: use --media file:///DIR or --media s3://BUCKET?endpoint=…&region=…")
	}
	if !strings.Contains(rawURL, "://") {
		u, err := DirURL(rawURL)
		if err != nil {
			return nil, err
		}
		rawURL = u
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("media: invalid media URL %q: %v", redact.URL(rawURL), redact.Err(err))
	}
	switch u.Scheme {
	case "file":
		return openDir(u)
	case "s3":
		b, err := openS3(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("media: open %s: %w", redact.URL(rawURL), err)
		}
		return newStore(b), nil
	default:
		return nil, fmt.Errorf("media: unsupported media location %q: use file:///DIR, a directory path, or s3://BUCKET", redact.URL(rawURL))
	}
}

// openDir opens a directory bucket, creating the directory if needed.
func openDir(u *url.URL) (*Store, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("media: file URL %q names host %q: use file:///ABSOLUTE/DIR", redact.URL(u.String()), u.Host)
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("media: file URL %q: query parameters are not supported", redact.URL(u.String()))
	}
	dir := filepath.FromSlash(u.Path)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("media: file URL %q is not absolute: use file:///ABSOLUTE/DIR or a plain path", redact.URL(u.String()))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("media: cannot create media directory %s: %v", dir, errors.Unwrap(err))
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		// Temporary files next to their final name, so the rename that makes a
		// write visible stays on one file system and is atomic (the default,
		// os.TempDir, fails across mounts, e.g. a shared volume).
		NoTempDir: true,
	})
	if err != nil {
		return nil, fmt.Errorf("media: open media directory %s: %w", dir, err)
	}
	return newStore(b), nil
}

// maxDecodes bounds concurrent decodes per Store (see Store.decodes).
const maxDecodes = 2

func newStore(b *blob.Bucket) *Store {
	return &Store{bucket: b, decodes: make(chan struct{}, maxDecodes)}
}

// DirURL turns a directory path into the file:// URL Open takes, made
// absolute against the working directory: "./agora-data/media" becomes
// "file:///…/agora-data/media".
func DirURL(path string) (string, error) {
	if path == "" {
		return "", errors.New("media: empty media directory")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("media: media directory %s: %w", path, err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

// URL is the path the storefront serves key at.
func (s *Store) URL(key string) string { return "/media/" + key }

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

func (s *Store) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
