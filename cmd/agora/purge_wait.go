package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"agora/internal/edge/purgelog"
)

// convergePoll is how often agora purge --wait asks whether every live
// edge applied the purge: each ask is one small query at the app tier.
const convergePoll = 50 * time.Millisecond

// waitConverged asks the edge's endpoint (GET /_agora/edges?seq=N, which
// asks the app tier) until every live edge has applied seq, or timeout
// passes. It returns the last answer; err says which edges did not apply
// it, or why nobody could tell.
func waitConverged(ctx context.Context, endpoint *url.URL, seq int64, timeout time.Duration) (purgelog.Network, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	endpoint.RawQuery = "seq=" + strconv.FormatInt(seq, 10)
	t := time.NewTicker(convergePoll)
	defer t.Stop()
	var last purgelog.Network
	var lastErr error
	for {
		n, err := getNetwork(ctx, endpoint)
		switch {
		case err == nil && n.Converged:
			return n, nil
		case err == nil:
			last, lastErr = n, nil
		case ctx.Err() == nil:
			lastErr = err
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			if lastErr != nil {
				return last, fmt.Errorf("cannot tell whether every edge applied seq %d within %s: %w", seq, timeout, lastErr)
			}
			return last, fmt.Errorf("not every live edge applied seq %d within %s: %s", seq, timeout, describePending(last))
		}
	}
}

// getNetwork does one GET of the edge's /_agora/edges.
func getNetwork(ctx context.Context, endpoint *url.URL) (purgelog.Network, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint.String(), nil)
	if err != nil {
		return purgelog.Network{}, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return purgelog.Network{}, fmt.Errorf("the edge at %s: %v", endpoint.Redacted(), err)
	}
	defer res.Body.Close()
	body := io.LimitReader(res.Body, 4<<20)
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(body).Decode(&e)
		return purgelog.Network{}, fmt.Errorf("the edge answered %s: %s", res.Status, e.Error)
	}
	var n purgelog.Network
	if err := json.NewDecoder(body).Decode(&n); err != nil {
		return purgelog.Network{}, fmt.Errorf("the edge's answer: %w", err)
	}
	return n, nil
}

// describePending names the live edges that had not applied the seq of n,
// with where each stood.
func describePending(n purgelog.Network) string {
	var parts []string
	for _, e := range n.Edges {
		if e.State == "live" && !e.HasApplied {
			parts = append(parts, fmt.Sprintf("%s (applied seq %d, last seen %s ago)", e.Name, e.Applied, msAgo(e.SeenAgoMS)))
		}
	}
	if len(parts) == 0 {
		return "no answer"
	}
	return "not applied by " + strings.Join(parts, ", ")
}

// describeConverged is the line --wait prints on success: who applied the
// seq, and who is gone (not waited for: a stopped edge holds no cache).
func describeConverged(n purgelog.Network) string {
	var applied, gone []string
	for _, e := range n.Edges {
		if e.State == "live" {
			applied = append(applied, e.Name)
		} else {
			gone = append(gone, fmt.Sprintf("%s (last seen %s ago, applied seq %d)", e.Name, msAgo(e.SeenAgoMS), e.Applied))
		}
	}
	s := fmt.Sprintf("applied by every live edge (%d): %s", len(applied), strings.Join(applied, ", "))
	if len(applied) == 0 {
		s = "no live edge follows the purge log"
	}
	if len(gone) > 0 {
		s += "; gone, not waited for: " + strings.Join(gone, ", ")
	}
	return s
}

func msAgo(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond).String()
}
