package main

import (
	"errors"
	"testing"
)

func TestMetricsAddr(t *testing.T) {
	for _, c := range []struct{ listen, metrics, want string }{
		{":8080", "auto", "127.0.0.1:9080"},
		{"10.0.0.5:8081", "auto", "127.0.0.1:9081"},
		{"127.0.0.1:0", "auto", "127.0.0.1:0"},
		{":8080", "", ""},
		{":8080", "0.0.0.0:9100", "0.0.0.0:9100"},
		{":65000", "auto", "error"},
		{":http", "auto", "error"},
		{"8080", "auto", "error"},
	} {
		got, err := metricsAddr(c.listen, c.metrics)
		if c.want == "error" {
			if !errors.Is(err, errUsage) {
				t.Errorf("metricsAddr(%q, %q) = %q, %v; want a usage error", c.listen, c.metrics, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("metricsAddr(%q, %q) = %q, %v; want %q", c.listen, c.metrics, got, err, c.want)
		}
	}
}
