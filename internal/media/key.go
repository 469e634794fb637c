package media

import "strings"

// Keys are content-addressed, so a key never changes meaning and every cache
// may keep it forever:
//
//	{sha256 of the original's stored bytes, 64 lowercase hex}.{ext}   the original
//	{the same sha256}-{variant}.{ext}                                 a variant
//
// A variant (thumbnail, card, large: see variant.go) is derived from the
// original by a fixed recipe, so its key follows from the original's key and
// the recipe's name without a lookup, and a page can link it before it exists.
// ext is the stored format: png, jpg, gif or webp. Keys are flat (no "/"),
// which keeps them one path segment in URLs and one file in a directory.

// maxVariant bounds the variant name, so a key is at most 64+1+16+5 bytes.
const maxVariant = 16

// contentTypes maps the stored formats' extensions to their media types.
var contentTypes = map[string]string{
	"png":  "image/png",
	"jpg":  "image/jpeg",
	"gif":  "image/gif",
	"webp": "image/webp",
}

// ValidKey reports whether key is a well-formed media key:
// ^[0-9a-f]{64}(-[a-z0-9]{1,16})?\.(png|jpg|gif|webp)$. Anything else (path
// tricks, uppercase hex, NUL, absurd lengths) is refused before the bucket is
// asked, so a request can never name a file outside the scheme.
func ValidKey(key string) bool {
	if len(key) < 64+4 || len(key) > 64+1+maxVariant+5 {
		return false
	}
	for i := range 64 {
		if !isHex(key[i]) {
			return false
		}
	}
	rest := key[64:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return false
	}
	if _, ok := contentTypes[rest[dot+1:]]; !ok {
		return false
	}
	if variant := rest[:dot]; variant != "" {
		return validVariant(variant[1:]) && variant[0] == '-'
	}
	return true
}

// VariantKey is the key of the variant named variant of the original key,
// stored as ext ("" keeps the original's format): VariantKey("ab…12.png",
// "thumbnail", "webp") is "ab…12-thumbnail.webp". It returns "" when key is
// not an original's key or variant/ext are not allowed.
func VariantKey(key, variant, ext string) string {
	if !ValidKey(key) || key[64] != '.' || !validVariant(variant) {
		return ""
	}
	if ext == "" {
		ext = key[65:]
	}
	if _, ok := contentTypes[ext]; !ok {
		return ""
	}
	return key[:64] + "-" + variant + "." + ext
}

// contentType is the media type of a valid key.
func contentType(key string) string {
	return contentTypes[key[strings.LastIndexByte(key, '.')+1:]]
}

func validVariant(v string) bool {
	if v == "" || len(v) > maxVariant {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
