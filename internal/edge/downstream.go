package edge

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"agora/internal/edge/cache"
)

// Downstream is the commercial CDN in front of the edge (issue 13). With
// one set, a stored page leaves the edge with the fields that CDN caches
// and purges by, instead of losing them:
//
//	cloudflare  CDN-Cache-Control (RFC 9213) and Cache-Tag, comma separated
//	fastly      Surrogate-Control and Surrogate-Key, space separated
//	generic     CDN-Cache-Control and Surrogate-Key
//
// The lifetime is the edge's own for the page, so the CDN holds it as long
// as the edge would, and a purge adapter (internal/cdnpurge) purges it
// there when the purge log says. Only stored responses get the fields: a
// private or uncacheable answer never does.
type Downstream string

const (
	DownstreamOff        Downstream = ""
	DownstreamCloudflare Downstream = "cloudflare"
	DownstreamFastly     Downstream = "fastly"
	DownstreamGeneric    Downstream = "generic"
)

// ParseDownstream reads a --downstream-cdn value; "off" and "" are none.
func ParseDownstream(s string) (Downstream, error) {
	switch d := Downstream(strings.ToLower(strings.TrimSpace(s))); d {
	case "off", DownstreamOff:
		return DownstreamOff, nil
	case DownstreamCloudflare, DownstreamFastly, DownstreamGeneric:
		return d, nil
	}
	return "", fmt.Errorf("edge: downstream CDN %q: want cloudflare, fastly, generic or off", s)
}

// addFields adds to h, the head of stored ent as served, the fields d
// reads. The stored header's Surrogate-Control (the origin's, for this
// edge) is gone by then.
func (d Downstream) addFields(h http.Header, ent *cache.Entry) {
	if d == DownstreamOff || isMarker(ent) {
		return
	}
	cc := downstreamControl(ent.Freshness)
	switch d {
	case DownstreamCloudflare:
		h.Set("Cdn-Cache-Control", cc)
		if len(ent.Tags) > 0 {
			// Cloudflare's Cache-Tag is a comma-separated list.
			h.Set("Cache-Tag", strings.Join(ent.Tags, ","))
		}
	case DownstreamFastly:
		h.Set("Surrogate-Control", cc)
		if len(ent.Tags) > 0 {
			h.Set("Surrogate-Key", strings.Join(ent.Tags, " "))
		}
	case DownstreamGeneric:
		h.Set("Cdn-Cache-Control", cc)
		if len(ent.Tags) > 0 {
			h.Set("Surrogate-Key", strings.Join(ent.Tags, " "))
		}
	}
}

// downstreamControl is the directive list for the CDN: the page's
// lifetime and stale windows at this edge, in seconds. The CDN subtracts
// the Age the edge sends, as from any cache.
func downstreamControl(f cache.Freshness) string {
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	v := "max-age=" + secs(max(f.Lifetime, 0))
	if f.StaleWhileRevalidate > 0 {
		v += ", stale-while-revalidate=" + secs(f.StaleWhileRevalidate)
	}
	if f.StaleIfError > 0 {
		v += ", stale-if-error=" + secs(f.StaleIfError)
	}
	return v
}
