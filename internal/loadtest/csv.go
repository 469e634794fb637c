package loadtest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVHeader names the columns of WriteCSV; times are seconds from the start
// of the run, latencies milliseconds.
var CSVHeader = []string{"seq", "attempt", "kind", "method", "path", "planned_s", "sent_s", "status",
	"latency_ms", "outcome", "cause", "error", "shopper", "idempotency_key", "order_number"}

// WriteCSV writes one row per record (sent_s empty when never sent).
func WriteCSV(w io.Writer, records []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range records {
		sent := ""
		if r.Sent >= 0 {
			sent = seconds(r.Sent)
		}
		shopper := ""
		if r.Shopper > 0 {
			shopper = strconv.Itoa(r.Shopper)
		}
		row := []string{strconv.Itoa(r.Seq), strconv.Itoa(r.Attempt), string(r.Kind), r.Method, r.Path,
			seconds(r.Planned), sent, strconv.Itoa(r.Status),
			fmt.Sprintf("%.3f", float64(r.Latency)/float64(time.Millisecond)),
			string(r.Outcome), string(r.Cause), r.Error, shopper, r.IdempotencyKey, r.OrderNumber}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }
