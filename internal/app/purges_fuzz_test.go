package app

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzPurgeAppendBody feeds POST /_internal/purges bodies through the
// checks appendPurge makes. What it accepts must come back from the log
// as it went in: the log stores an entry's tags space separated and reads
// them with strings.Fields (package purge), so a tag holding any space
// would purge other tags than the operator named; and the split into
// entries keeps every tag, in order, within the entry bound.
func FuzzPurgeAppendBody(f *testing.F) {
	f.Add([]byte(`{"tags":["product-42","home"],"soft":true}`))
	f.Add([]byte(`{"tags":["a b"]}`))
	f.Add([]byte(`{"tags":["agora:url:http://shop.test/p?x=1"]}`))
	f.Add([]byte(`{"tags":["x\u0085y","\u00a0"]}`))
	f.Add([]byte(`{"tags":[]}`))
	f.Add([]byte(`{"tags":["` + strings.Repeat("t", 300) + `"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req purgeAppend
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&req) != nil || dec.More() || checkPurgeTags(req.Tags) != nil {
			return
		}
		entries := purgeEntries(req.Tags)
		var back []string
		for _, e := range entries {
			if len(e) == 0 {
				t.Fatalf("an empty entry from %q", req.Tags)
			}
			stored := strings.Join(e, " ")
			if len(e) > 1 && len(stored) > maxPurgeEntryBytes {
				t.Fatalf("entry of %d bytes, bound %d", len(stored), maxPurgeEntryBytes)
			}
			read := strings.Fields(stored)
			if !slices.Equal(read, e) {
				t.Fatalf("tags %q stored as %q read back as %q", e, stored, read)
			}
			back = append(back, read...)
		}
		if !slices.Equal(back, req.Tags) {
			t.Fatalf("entries %q lost or reordered tags %q", entries, req.Tags)
		}
	})
}
