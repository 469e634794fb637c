package edge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"agora/internal/edge/balance"
	"agora/internal/fault"
	"agora/internal/redact"
)

// DrainRequest is the body of POST /_agora/drain and /_agora/undrain.
// Backend names a backend of the pool: its URL as given to the edge or as
// /_agora/status shows it (password redacted), or its host:port alone when
// that names one backend.
type DrainRequest struct {
	Backend string `json:"backend"`
}

// maxDrainBody bounds the body of a drain request.
const maxDrainBody = 64 << 10

// serveDrain holds a backend out of the pool (hold) or lets it back: an
// operator's drain (issue 10). A drained backend gets no new requests,
// finishes those in flight, shows as draining and held in /_agora/status,
// and stays out through every later change of the pool's set (DNS
// re-resolution, the supervisor) until undrained. The answer is the
// backend's status, so the operator can poll in_flight down to 0 before
// stopping it.
func (e *Edge) serveDrain(w http.ResponseWriter, r *http.Request, secret string, hold bool) {
	e.init()
	if !authorized(w, r, secret, "drains") {
		return
	}
	var req DrainRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDrainBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		msg := `the body must be one JSON object such as {"backend":"http://10.0.0.5:8080"}`
		if err != nil {
			msg += ": " + err.Error()
		}
		adminError(w, http.StatusBadRequest, msg)
		return
	}
	raw, err := e.backendNamed(req.Backend, !hold)
	if err != nil {
		adminError(w, fault.Status(fault.CodeOf(err)), fault.MessageOf(err))
		return
	}
	var b *balance.Backend
	if hold {
		b, err = e.Pool.Hold(raw)
	} else {
		b, err = e.Pool.Unhold(raw)
	}
	if err != nil { // the set changed since backendNamed looked
		adminError(w, http.StatusNotFound, fmt.Sprintf("backend %s is no longer in the pool", redact.URL(raw)))
		return
	}
	if b == nil { // unheld, and no longer a member: it joins as any other if it comes back
		adminJSON(w, http.StatusOK, map[string]any{"backend": redact.URL(raw), "held": false, "member": false})
		return
	}
	st := b.Status()
	adminJSON(w, http.StatusOK, map[string]any{
		"backend": b.URL.Redacted(), "state": st.State, "held": st.Held, "in_flight": st.InFlight, "member": true,
	})
}

// backendNamed is the URL (unredacted) of the pool's backend that name
// names: its URL, its redacted URL or its host:port when only one backend
// has it. With heldToo, held URLs no longer in the set count as well.
// Its errors are fault errors with messages for the operator.
func (e *Edge) backendNamed(name string, heldToo bool) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fault.New(fault.Invalid, `give the backend to drain, as {"backend":"http://10.0.0.5:8080"}`)
	}
	var known []string
	for _, b := range e.Pool.Members() {
		known = append(known, b.URL.String())
	}
	if heldToo {
		known = append(known, e.Pool.Status().Held...)
	}
	var byHost []string
	for _, k := range known {
		if name == k || name == redact.URL(k) {
			return k, nil
		}
		if u, err := url.Parse(k); err == nil && u.Host == name && !slices.Contains(byHost, k) {
			byHost = append(byHost, k)
		}
	}
	switch len(byHost) {
	case 1:
		return byHost[0], nil
	case 0:
		shown := make([]string, len(known))
		for i, k := range known {
			shown[i] = redact.URL(k)
		}
		return "", fault.New(fault.NotFound, "backend %q is not in the pool; its backends are: %s", redact.URL(name), strings.Join(shown, ", "))
	}
	return "", fault.New(fault.Invalid, "%q names %d backends: give the whole URL", name, len(byHost))
}

// authorized checks the bearer cluster secret of a call that changes
// something (what says which, for the refusal) and answers the refusal
// itself: 503 when the edge has no secret (the calls are off), 401 with
// WWW-Authenticate (RFC 6750 §3) when the request lacks it.
func authorized(w http.ResponseWriter, r *http.Request, secret, what string) bool {
	if secret == "" {
		adminError(w, http.StatusServiceUnavailable, what+" are disabled: start the edge with --cluster-secret, the secret of the app tier")
		return false
	}
	if !bearerOK(r, secret) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="agora-edge"`)
		adminError(w, http.StatusUnauthorized, "send Authorization: Bearer <cluster secret>")
		return false
	}
	return true
}
