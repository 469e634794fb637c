package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"agora/internal/edge/waf"
)

// TestWAFFlags: each bad value is a usage error naming its flag; good
// ones make the firewall asked for (none when off).
func TestWAFFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		f    wafFlags
		want string // in the error; "" for none
	}{
		{wafFlags{mode: "on", paranoia: 1, bodyLimit: "1MiB"}, "--waf"},
		{wafFlags{mode: "block", paranoia: 5, bodyLimit: "1MiB"}, "--waf-paranoia"},
		{wafFlags{mode: "block", paranoia: 0, bodyLimit: "1MiB"}, "--waf-paranoia"},
		{wafFlags{mode: "block", paranoia: 1, bodyLimit: "1MiB", exclude: "search=942100"}, "--waf-exclude"},
		{wafFlags{mode: "block", paranoia: 1, bodyLimit: "1MiB", exclude: "/search=attack-sqli"}, "--waf-exclude"},
		{wafFlags{mode: "block", paranoia: 1, bodyLimit: "0"}, "--waf-body-limit"},
		{wafFlags{mode: "block", paranoia: 1, bodyLimit: "1GiB"}, "--waf-body-limit"},
		{wafFlags{mode: "off", paranoia: 1, bodyLimit: "1MiB"}, ""},
		{wafFlags{mode: "detect", paranoia: 2, bodyLimit: "64KiB", exclude: "/search=942100;/pages=attack-xss@ARGS:body"}, ""},
	} {
		fw, err := c.f.build(log)
		if c.want != "" {
			if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%+v: %v, want a usage error naming %s", c.f, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", c.f, err)
			continue
		}
		if want, _ := waf.ParseMode(c.f.mode); fw.Mode() != want {
			t.Errorf("%+v: mode %v", c.f, fw.Mode())
		}
	}
}
