package discover

import (
	"fmt"
	"net/url"
	"strconv"
)

// Schemes of a --backends entry whose backends come from DNS.
const (
	SchemeA   = "dns"     // dns://NAME:PORT: A and AAAA records, one port for all
	SchemeSRV = "dns+srv" // dns+srv://_SERVICE._PROTO.NAME: SRV records give hosts and ports
)

// Target is one name whose addresses are backends. Its backends are
// reached over plain HTTP, as the app tier inside a cluster is.
type Target struct {
	// Name is what is looked up: app.agora.svc for A/AAAA, the whole
	// record name _http._tcp.app.agora.svc for SRV.
	Name string
	// Port is every backend's port for A/AAAA; SRV records carry their own.
	Port uint16
	// SRV looks up SRV records, then each record's target's addresses.
	SRV bool
}

// String is the target as --backends spells it.
func (t Target) String() string {
	if t.SRV {
		return SchemeSRV + "://" + t.Name
	}
	return SchemeA + "://" + t.Name + ":" + strconv.Itoa(int(t.Port))
}

// Parse reads one --backends entry. ok is false, with no error, when raw
// is not a DNS entry: a static URL, for the caller to read.
func Parse(raw string) (t Target, ok bool, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != SchemeA && u.Scheme != SchemeSRV) {
		return Target{}, false, nil
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Hostname() == "" {
		return Target{}, true, fmt.Errorf("discover: %q: want %s://NAME:PORT or %s://_SERVICE._PROTO.NAME, nothing more", raw, SchemeA, SchemeSRV)
	}
	t = Target{Name: u.Hostname(), SRV: u.Scheme == SchemeSRV}
	switch p := u.Port(); {
	case t.SRV && p != "":
		return Target{}, true, fmt.Errorf("discover: %q: SRV records give the port; drop :%s", raw, p)
	case t.SRV:
	default:
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return Target{}, true, fmt.Errorf("discover: %q: want %s://NAME:PORT with the backends' port", raw, SchemeA)
		}
		t.Port = uint16(n)
	}
	return t, true, nil
}
