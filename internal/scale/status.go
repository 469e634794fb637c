package scale

// Instance is one place of the pool as the status page shows it.
type Instance struct {
	Slot  int    `json:"slot"`
	PID   int    `json:"pid,omitempty"`
	URL   string `json:"url,omitempty"` // once it serves
	State State  `json:"state"`
	// Restarts counts the crashes of this place's instances; CrashLoop is
	// set after CrashLoopAfter quick ones in a row, until an instance has
	// stayed up for StableAfter.
	Restarts  int    `json:"restarts"`
	CrashLoop bool   `json:"crash_loop,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// Instances are the pool's instances, then the draining ones.
func (p *Pool) Instances() []Instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Instance, 0, len(p.slots)+len(p.retiring))
	for _, s := range append(p.slots[:len(p.slots):len(p.slots)], p.retiring...) {
		in := Instance{Slot: s.id, State: s.state, Restarts: s.restarts, CrashLoop: s.crashLoop, LastError: s.lastErr}
		if s.cur != nil {
			in.PID = s.cur.pid
			if s.addr != "" {
				in.URL = "http://" + s.addr
			}
		}
		out = append(out, in)
	}
	return out
}

// Ready is how many instances are in the edge's pool.
func (p *Pool) Ready() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.slots {
		if s.state == Ready {
			n++
		}
	}
	return n
}
