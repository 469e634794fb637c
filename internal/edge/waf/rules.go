package waf

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Exclusion stops the CRS rules Rules (ids or ranges) from inspecting
// requests whose path starts with PathPrefix: all of the request, or, with
// Target, that variable alone (ARGS:description, REQUEST_COOKIES:theme, or
// a regular expression key: ARGS:/^json\.notes$/). It is a rule
// exclusion of the CRS kind (ctl:ruleRemoveById, ctl:ruleRemoveTargetById
// in a phase 1 rule on the path): every other rule still inspects the
// request, never the whole firewall turned off for a path.
type Exclusion struct {
	PathPrefix string
	// Rules are rule ids (942100) or inclusive ranges (941000-941999); or
	// CRS tags (attack-sqli, OWASP_CRS for every CRS rule) with Target.
	Rules  []string
	Target string
}

// DefaultExclusions are where the CRS misfires on this store's own
// traffic, each removing as little as the misfire needs:
//
//   - passwords are never inspected, on any form or API that takes one
//     (login, registration, reset; shoppers and staff): a strong password
//     such as P@ss'word"1<> reads to the SQL injection and XSS rules as an
//     attack, and the app only ever hashes it;
//   - under /admin/ and /api/v1/admin/ (staff, signed in) product and
//     category descriptions are rich text, whose markup and prose the XSS,
//     SQL injection and RCE rules take for attacks;
//   - at checkout and in the address book, address lines and names
//     ("O'Brien", "Flat 2; 3rd floor") are not inspected by the SQL
//     injection and RCE rules; the XSS rules still see them, since staff
//     read them in the admin.
//
// The store has no CSV import over HTTP (agora import reads a file on the
// server), so it needs no exclusion.
var DefaultExclusions = func() []Exclusion {
	var out []Exclusion
	passwords := `ARGS:/^(json\.)?(password|new_password|password_confirm|current_password)$/`
	for _, p := range []string{"/account/login", "/account/register", "/account/reset/", "/admin/login",
		"/api/v1/session", "/api/v1/customers", "/api/v1/password-reset/"} {
		out = append(out, Exclusion{PathPrefix: p, Rules: []string{"OWASP_CRS"}, Target: passwords})
	}
	rich := `ARGS:/^(json\.)?description$/`
	for _, p := range []string{"/admin/", "/api/v1/admin/"} {
		out = append(out, Exclusion{PathPrefix: p, Rules: []string{"attack-xss", "attack-sqli", "attack-rce", "attack-injection-php", "attack-injection-generic"}, Target: rich})
	}
	address := `ARGS:/^(json\.)?(shipping_address\.)?(name|line1|line2|city|region|postal_code|company|phone)$/`
	for _, p := range []string{"/checkout", "/api/v1/checkout", "/account/addresses"} {
		out = append(out, Exclusion{PathPrefix: p, Rules: []string{"attack-sqli", "attack-rce"}, Target: address})
	}
	return out
}()

// ParseExclusions reads the --waf-exclude format: exclusions separated by
// ";", each PATH_PREFIX=RULES or PATH_PREFIX=RULES@TARGET, RULES being ids,
// ranges or (with a target) CRS tags separated by ",":
//
//	/search=942100,942190;/admin/pages=941000-941999@ARGS:body
func ParseExclusions(s string) ([]Exclusion, error) {
	var out []Exclusion
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		prefix, rest, ok := strings.Cut(part, "=")
		if !ok || !strings.HasPrefix(prefix, "/") {
			return nil, fmt.Errorf("waf: exclusion %q: want /PATH=RULES or /PATH=RULES@TARGET", part)
		}
		rules, target, _ := strings.Cut(rest, "@")
		x := Exclusion{PathPrefix: strings.TrimSpace(prefix), Target: strings.TrimSpace(target)}
		for r := range strings.SplitSeq(rules, ",") {
			if r = strings.TrimSpace(r); r != "" {
				x.Rules = append(x.Rules, r)
			}
		}
		if err := x.check(); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

var (
	ruleRange = regexp.MustCompile(`^[0-9]{1,7}(-[0-9]{1,7})?$`)
	ruleTag   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_./-]*$`)
	// target: a collection, optionally a key or a /regexp/ (no quote or
	// comma: it is pasted into a ctl action).
	target = regexp.MustCompile(`^[A-Z_]+(:([^'",;\s]+|/[^'",;]+/))?$`)
)

func (x Exclusion) check() error {
	if !strings.HasPrefix(x.PathPrefix, "/") || strings.ContainsAny(x.PathPrefix, "\"' \t\\") {
		return fmt.Errorf("waf: exclusion path %q: want a path starting with / (no quotes or spaces)", x.PathPrefix)
	}
	if len(x.Rules) == 0 {
		return fmt.Errorf("waf: exclusion for %s: no rule ids", x.PathPrefix)
	}
	for _, r := range x.Rules {
		if !ruleRange.MatchString(r) && (x.Target == "" || !ruleTag.MatchString(r)) {
			return fmt.Errorf("waf: exclusion for %s: %q is not a rule id or range (942100, 941000-941999), or a CRS tag with a @TARGET", x.PathPrefix, r)
		}
	}
	if x.Target != "" && !target.MatchString(x.Target) {
		return fmt.Errorf("waf: exclusion for %s: target %q: want a variable such as ARGS:description or ARGS:/^json\\.notes$/", x.PathPrefix, x.Target)
	}
	return nil
}

// ctl is x's ctl actions.
func (x Exclusion) ctl() string {
	var b strings.Builder
	for i, r := range x.Rules {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case x.Target == "":
			b.WriteString("ctl:ruleRemoveById=" + r)
		case ruleRange.MatchString(r):
			b.WriteString("ctl:ruleRemoveTargetById=" + r + ";" + x.Target)
		default:
			b.WriteString("ctl:ruleRemoveTargetByTag=" + r + ";" + x.Target)
		}
	}
	return b.String()
}

// firstExclusionID numbers the exclusion rules, in the range the CRS
// leaves to a site's own rules (below 100000 and above the 9xx of
// crs-setup).
const firstExclusionID = 10000

// Directives is the SecLang configuration cfg makes: the engine's
// settings, the CRS setup, the exclusions (before the CRS, as run-time
// ctl rules in phase 1), the CRS itself from the embedded FS.
func Directives(cfg Config) (string, error) {
	var b strings.Builder
	limit := strconv.FormatInt(cfg.BodyLimit, 10)
	// SecRuleEngine On in both modes: in detect mode Inspect forwards a
	// request that was interrupted, rather than Coraza's DetectionOnly,
	// which would go on evaluating every rule after the verdict.
	// Bodies: Coraza holds up to the limit in memory and reads no further
	// (ProcessPartial); process decides what happens past it. Responses
	// are never inspected: the app tier's pages are ours.
	fmt.Fprintf(&b, `SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit %[1]s
SecRequestBodyInMemoryLimit %[1]s
SecRequestBodyLimitAction ProcessPartial
SecRequestBodyJsonDepthLimit 256
SecResponseBodyAccess Off
SecAuditEngine Off
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "^application/[a-z0-9.-]+[+]json" "id:200006,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.'"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation.'"
SecDefaultAction "phase:1,log,auditlog,pass"
SecDefaultAction "phase:2,log,auditlog,pass"
SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=%[2]d"
SecAction "id:900200,phase:1,pass,t:none,nolog,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"
SecAction "id:900990,phase:1,pass,t:none,nolog,setvar:tx.crs_setup_version=4250"
`, limit, cfg.Paranoia)
	all := append(append([]Exclusion(nil), DefaultExclusions...), cfg.Exclusions...)
	for i, x := range all {
		if err := x.check(); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "SecRule REQUEST_FILENAME \"@beginsWith %s\" \"id:%d,phase:1,pass,t:none,nolog,%s\"\n", x.PathPrefix, firstExclusionID+i, x.ctl())
	}
	b.WriteString("Include @owasp_crs/*.conf\n")
	// 920350 scores a numeric Host (an IP address) as an attack: it is how
	// load balancers' health checks, `agora up` on 127.0.0.1 and the
	// tests reach the edge, and 3 of the 5 points that block would be
	// spent before a request's content is read. Which hosts the edge
	// answers for is --allowed-hosts's job (Edge.AllowedHosts).
	b.WriteString("SecRuleRemoveById 920350\n")
	return b.String(), nil
}
