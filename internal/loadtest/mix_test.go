package loadtest

import (
	"strings"
	"testing"
)

func TestParseMix(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want, err string
	}{
		{in: DefaultMix, want: DefaultMix},
		{in: " product = 3 , home=1,", want: "home=1,product=3"},
		{in: "checkout=5,cart=0", want: "cart=0,checkout=5"},
		{in: "home", err: "want kind=weight"},
		{in: "basket=3", err: `unknown kind "basket"`},
		{in: "home=1,home=2", err: "given twice"},
		{in: "home=-1", err: "0 or more"},
		{in: "home=x", err: "0 or more"},
		{in: "home=0", err: "above 0"},
		{in: "", err: "above 0"},
	} {
		m, err := ParseMix(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseMix(%q): %v, want an error with %q", c.in, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("ParseMix(%q): %v", c.in, err)
		case c.err == "" && m.String() != c.want:
			t.Errorf("ParseMix(%q) = %s, want %s", c.in, m, c.want)
		}
	}
	if m, _ := ParseMix(DefaultMix); m.total() != 100 {
		t.Errorf("the default mix weighs %d, want percentages adding up to 100", m.total())
	}
}
