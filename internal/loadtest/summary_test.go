package loadtest

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	t.Parallel()
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	p50, p90, p99, mx := percentiles(d)
	if p50 != 50*time.Millisecond || p90 != 90*time.Millisecond || p99 != 99*time.Millisecond || mx != 100*time.Millisecond {
		t.Errorf("percentiles of 1..100 ms: %s %s %s %s", p50, p90, p99, mx)
	}
	if p50, _, p99, mx := percentiles([]time.Duration{7}); p50 != 7 || p99 != 7 || mx != 7 {
		t.Errorf("percentiles of one value: %s %s %s", p50, p99, mx)
	}
}

// sampleResults is a small run with every outcome: failures in seconds 0
// and 2, a refusal, a skip, a retried checkout and a request never sent.
func sampleResults() *Results {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	return &Results{Planned: 7, Elapsed: ms(2500), Config: Config{Rate: 3, Duration: 2 * time.Second}, Records: []Record{
		{Seq: 0, Attempt: 1, Kind: Home, Method: "GET", Path: "/", Planned: ms(300), Sent: ms(300), Status: 200, Latency: ms(4), Outcome: OK},
		{Seq: 1, Attempt: 1, Kind: Product, Method: "GET", Path: "/products/a,b", Planned: ms(600), Sent: ms(600), Latency: ms(10), Outcome: Failed, Cause: Reset, Error: `read: "reset"`},
		{Seq: 2, Attempt: 1, Kind: Cart, Method: "POST", Path: "/api/v1/cart/items", Planned: ms(1000), Sent: ms(1000), Status: 409, Latency: ms(6), Outcome: Refused, Cause: OutOfStock, Shopper: 1},
		{Seq: 3, Attempt: 1, Kind: Checkout, Method: "POST", Path: "/api/v1/checkout", Planned: ms(1300), Sent: -1, Outcome: Skipped, Cause: NoCart, Shopper: 1, IdempotencyKey: "k-3"},
		{Seq: 4, Attempt: 1, Kind: Checkout, Method: "POST", Path: "/api/v1/checkout", Planned: ms(2000), Sent: ms(2000), Status: 503, Latency: ms(30), Outcome: Failed, Cause: Status5xx, Shopper: 2, IdempotencyKey: "k-4"},
		{Seq: 4, Attempt: 2, Kind: Checkout, Method: "POST", Path: "/api/v1/checkout", Planned: ms(2000), Sent: ms(2031), Status: 200, Latency: ms(20), Outcome: OK, Shopper: 2, IdempotencyKey: "k-4", OrderNumber: "A-9"},
		{Seq: 5, Attempt: 1, Kind: Home, Method: "GET", Path: "/", Planned: ms(2300), Sent: -1, Outcome: Failed, Cause: Saturated},
	}}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	s := Summarize(sampleResults())
	if s.Planned != 7 || s.Sent != 5 || s.OK != 2 || s.Refused != 1 || s.Skipped != 1 || s.Failed != 3 || s.Orders != 1 {
		t.Errorf("counts %+v", s)
	}
	if s.FailureCauses() != "client_saturated 1, reset 1, status_5xx 1" {
		t.Errorf("by cause: %s", s.FailureCauses())
	}
	if len(s.FailedSeconds) != 2 || s.FailedSeconds[0].Second != 0 || s.FailedSeconds[1].Second != 2 ||
		s.FailedSeconds[1].ByCause[Status5xx] != 1 || s.FailedSeconds[1].ByCause[Saturated] != 1 {
		t.Errorf("by second: %+v", s.FailedSeconds)
	}
	if len(s.Kinds) != 4 || s.Kinds[3].Kind != Checkout || s.Kinds[3].Sent != 2 || s.Kinds[3].Failed != 1 || s.Kinds[3].Max != 30*time.Millisecond {
		t.Errorf("kinds: %+v", s.Kinds)
	}
	if want := 5 / 2.031; s.SentRate < want-0.001 || s.SentRate > want+0.001 {
		t.Errorf("sent rate %.3f, want %.3f", s.SentRate, want)
	}
	var out strings.Builder
	s.Write(&out)
	for _, want := range []string{"7 planned, 5 sent", "3 failed", "out_of_stock 1", "no_cart 1",
		"failures by cause: client_saturated 1, reset 1, status_5xx 1", "     2s     2  client_saturated 1, status_5xx 1", "checkout        2       1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// TestWriteDir: the CSV holds every record and reads back; the plot is
// well-formed SVG with its three latency lines and the failure bars.
func TestWriteDir(t *testing.T) {
	t.Parallel()
	res := sampleResults()
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(dir, res, Summarize(res)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(res.Records)+1 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	if got := strings.Join(rows[2], "|"); got != `1|1|product|GET|/products/a,b|0.600000|0.600000|0|10.000|failed|reset|read: "reset"|||` {
		t.Errorf("row of a reset: %s", got)
	}
	if got := strings.Join(rows[6], "|"); got != "4|2|checkout|POST|/api/v1/checkout|2.000000|2.031000|200|20.000|ok|||2|k-4|A-9" {
		t.Errorf("row of a retried checkout: %s", got)
	}
	if rows[4][6] != "" {
		t.Errorf("a request never sent has sent_s %q", rows[4][6])
	}

	svg, err := os.ReadFile(filepath.Join(dir, PlotFile))
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	count := map[string]int{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("plot is not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					count[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
	// 3 failures in buckets of 100 ms: seconds 0.6, 2.0 and 2.3
	if count["polyline.p50"] != 1 || count["polyline.p99"] != 1 || count["polyline.max"] != 1 || count["rect.failed"] != 3 || count["rect.sent"] == 0 {
		t.Errorf("plot elements %v", count)
	}
	if sum, _ := os.ReadFile(filepath.Join(dir, SummaryFile)); !strings.Contains(string(sum), "failures by second") {
		t.Errorf("summary.txt: %s", sum)
	}
}
