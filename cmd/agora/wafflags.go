package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"

	"agora/internal/edge/waf"
)

// wafFlags are the web application firewall's flags, for `agora edge` and
// `agora up` (issue 12; internal/edge/waf). Their AGORA_ twins come from
// applyEnv: AGORA_WAF, AGORA_WAF_PARANOIA, AGORA_WAF_EXCLUDE,
// AGORA_WAF_BODY_LIMIT.
type wafFlags struct {
	mode, exclude, bodyLimit string
	paranoia                 int
}

// defaultWAFMode is block: a firewall that only logs protects nobody,
// and the store's own traffic (the load tool's shopper mix, admin edits,
// registration, login and checkout) passes the CRS at paranoia 1 with the
// built-in exclusions without one false positive (cmd/agora's
// TestWAFNoFalsePositives). An operator who adds pages the CRS misfires on
// runs detect first, reads the log, and adds --waf-exclude.
const defaultWAFMode = "block"

func (f *wafFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "waf", defaultWAFMode, "web application firewall (OWASP Core Rule Set) on the requests that reach the app tier, never on cache hits: block (403 with a request id), detect (log the rule ids and forward), or off")
	fs.IntVar(&f.paranoia, "waf-paranoia", waf.DefaultParanoia, "CRS paranoia level, 1 to 4: higher catches more attacks and misfires more on ordinary requests")
	fs.StringVar(&f.exclude, "waf-exclude", "", "CRS rules to take off paths where they misfire, added to the built-in ones: PATH_PREFIX=RULES[@TARGET], separated by ';', RULES being ids or ranges (942100,941000-941999), or CRS tags with a TARGET; e.g. '/pages=942100;/admin/pages=attack-xss@ARGS:body'")
	fs.StringVar(&f.bodyLimit, "waf-body-limit", strconv.Itoa(waf.DefaultBodyLimit), "request body inspected, in bytes (or with KiB, MiB); a longer one is refused with 413, but for uploads (multipart/form-data), whose rest goes through uninspected")
}

// maxWAFBodyLimit bounds --waf-body-limit: the inspected part of a body is
// held in memory for each request in flight.
const maxWAFBodyLimit = 64 << 20

// build makes the firewall the flags ask for; nil when it is off. It
// logs with log.
func (f *wafFlags) build(log *slog.Logger) (*waf.Firewall, error) {
	mode, err := waf.ParseMode(f.mode)
	if err != nil {
		return nil, fmt.Errorf("%w: --waf %q: want block, detect or off", errUsage, f.mode)
	}
	if f.paranoia < 1 || f.paranoia > 4 {
		return nil, fmt.Errorf("%w: --waf-paranoia %d: want 1 to 4", errUsage, f.paranoia)
	}
	excl, err := waf.ParseExclusions(f.exclude)
	if err != nil {
		return nil, fmt.Errorf("%w: --waf-exclude: %v", errUsage, err)
	}
	limit, err := parseSize(f.bodyLimit)
	if err != nil || limit > maxWAFBodyLimit {
		return nil, fmt.Errorf("%w: --waf-body-limit %q: want a positive size up to 64MiB, such as 1MiB or 65536", errUsage, f.bodyLimit)
	}
	fw, err := waf.New(waf.Config{Mode: mode, Paranoia: f.paranoia, Exclusions: excl, BodyLimit: int64(limit), Log: log})
	if err != nil {
		return nil, errors.New("--waf: " + err.Error())
	}
	if fw != nil {
		log.Info("web application firewall on", "mode", mode.String(), "paranoia", f.paranoia, "operator_exclusions", len(excl))
	}
	return fw, nil
}
