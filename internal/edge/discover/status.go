package discover

import "time"

// Status is where the pool's backends come from, as /_agora/status shows
// it.
type Status struct {
	// Server is the DNS server asked; "" is the system's.
	Server   string       `json:"server,omitempty"`
	Interval string       `json:"interval"`
	Static   []string     `json:"static,omitempty"`
	Names    []NameStatus `json:"names"`
}

// NameStatus is one name's last known answer and the state of its lookups.
type NameStatus struct {
	Name     string    `json:"name"`     // as --backends spells it: dns://app.agora.svc:8080
	Backends []string  `json:"backends"` // from the last lookup that listed any
	Resolved time.Time `json:"resolved,omitzero"`
	// Error and Failures are those of the failures since the last lookup
	// that worked; empty and 0 when it was the last one.
	Error    string `json:"error,omitempty"`
	Failures int    `json:"failures,omitempty"`
}

// Status returns what each name last resolved to and how its lookups fare.
func (r *Resolver) Status() Status {
	r.init()
	s := Status{Server: r.Server, Interval: r.Interval.String(), Names: make([]NameStatus, len(r.Targets))}
	for _, u := range r.Static {
		s.Static = append(s.Static, u.Redacted())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, t := range r.Targets {
		n := r.names[i]
		ns := NameStatus{Name: t.String(), Backends: make([]string, len(n.urls)), Resolved: n.resolved, Failures: n.failures}
		for j, u := range n.urls {
			ns.Backends[j] = u.String()
		}
		if n.err != nil {
			ns.Error = n.err.Error()
		}
		s.Names[i] = ns
	}
	return s
}
