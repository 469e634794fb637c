package media_test

import (
	"context"
	"strings"
	"testing"

	"agora/internal/media"
)

// TestOpenNeverEchoesCredentials: S3 credentials ride in a media URL's user
// info; no error repeats them, even for an address that does not parse.
func TestOpenNeverEchoesCredentials(t *testing.T) {
	for _, raw := range []string{
		"s3://AKIA:hunter2@bucket?endpoint=%zz",          // bad query escape
		"s3://AKIA:hunter2 x@bucket?endpoint=http://x",   // unparsable user info
		"ftp://AKIA:hunter2@bucket",                      // unsupported scheme
		"file://AKIA:hunter2@host/dir",                   // file URL with a host
		"file://AKIA:hunter2@/dir?x=1",                   // file URL with a query
		"s3://AKIA:hunter2@bucket?region=x&awssdk=bogus", // rejected by the S3 opener
	} {
		m, err := media.Open(context.Background(), raw)
		if err == nil {
			m.Close()
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q): error leaks the secret: %v", raw, err)
		}
	}
}
