package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// adminPost posts body (as JSON; nil sends none) to endpoint on an admin
// listener with the cluster secret, and decodes the JSON answer into ans:
// what `agora purge`, `agora drain` and `agora reload` share. status and
// decErr are the answer's HTTP status and what decoding it said, for the
// caller to turn into its own message; err is set only when no answer
// came, and is one line for the operator naming who should be listening
// ("the edge", "agora up"). No error ever holds the secret.
func adminPost(ctx context.Context, endpoint *url.URL, secret string, body, ans any, who string) (status int, decErr, err error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{
		// The admin API never redirects a POST; following one would send
		// the secret wherever it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its URL, redacted, is in the message already
		}
		return 0, nil, fmt.Errorf("cannot reach the admin API at %s: %v; is %s running, and is --admin its --admin-listen address?", endpoint.Redacted(), err, who)
	}
	defer res.Body.Close()
	return res.StatusCode, json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(ans), nil
}
