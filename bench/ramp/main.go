// Command ramp drives issue 11's ramp against a running `agora up` and
// reports what its autoscaler did: it runs `agora loadtest` at rising
// rates (the ramp), then at a trickle until the pool is back at --min (the
// quiet), then a 10× step (the burst), while it samples the edge's
// /_agora/status twice a second. It writes the samples, a table per step
// (pool size, desired size, p95 from the load tool's records, failures), the
// autoscaler's decisions and a plot (SVG) of the pool and p95 over time.
// bench/ramp.sh starts agora up and runs it:
//
//	go run ./bench/ramp --agora ./agora --target http://127.0.0.1:8080 \
//	    --admin http://127.0.0.1:8081 --out /tmp/ramp --svg docs/ramp.svg
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"agora/internal/loadtest"
	"agora/internal/scale"
	"agora/internal/scale/autoscale"
)

// mix is GET pages only: the ramp measures the app pool's concurrency, and
// writes to one SQLite file would measure the database instead.
const mix = "home=2,category=2,product=4,search=2"

type options struct {
	agora, target, admin, out, svg string
	steps                          []int
	step, quietMax                 time.Duration
	quietRate, burstFrom, burstTo  int
	min                            int
}

func main() {
	var o options
	var steps string
	flag.StringVar(&o.agora, "agora", "agora", "the agora binary (its loadtest command)")
	flag.StringVar(&o.target, "target", "http://127.0.0.1:8080", "agora up's public URL")
	flag.StringVar(&o.admin, "admin", "http://127.0.0.1:8081", "agora up's admin URL (/_agora/status)")
	flag.StringVar(&o.out, "out", "ramp-out", "directory for the samples, the load tool's runs and the report")
	flag.StringVar(&o.svg, "svg", "", "where to write the plot as well (such as docs/ramp.svg)")
	flag.StringVar(&steps, "steps", "50,100,200,300,400,500,600", "the ramp's rates, requests per second")
	flag.DurationVar(&o.step, "step", 30*time.Second, "length of each step of the ramp and of the burst")
	flag.IntVar(&o.quietRate, "quiet-rate", 20, "the trickle after the ramp, requests per second, while the pool shrinks")
	flag.DurationVar(&o.quietMax, "quiet-max", 8*time.Minute, "give up waiting for the pool to shrink after this")
	flag.IntVar(&o.burstFrom, "burst-from", 50, "the burst's rate before its step")
	flag.IntVar(&o.burstTo, "burst-to", 500, "the burst's rate")
	flag.IntVar(&o.min, "min", 2, "agora up's --min: the quiet ends when the pool is back at it")
	again := flag.Bool("replot", false, "redraw the report and the plot of the finished run in --out (its runs.json, samples.csv and requests)")
	flag.Parse()
	for _, s := range strings.Split(steps, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "ramp: --steps: %q is not a rate\n", s)
			os.Exit(2)
		}
		o.steps = append(o.steps, n)
	}
	run := run
	if *again {
		run = replot
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "ramp:", err)
		os.Exit(1)
	}
}

// status is the part of the edge's /_agora/status (internal/edge/admin.go)
// the ramp reads.
type status struct {
	Pool struct {
		Backends []struct {
			InFlight int64 `json:"in_flight"`
		}
	} `json:"pool"`
	Scale scale.Status `json:"scale"`
}

// sample is one reading of the status, At seconds from the bench's start.
type sample struct {
	At                   float64
	Size, Ready, Desired int
	Panicking            bool
	InFlight             int64
}

// stepRun is one run of the load tool: its phase, rate and records.
type stepRun struct {
	Phase    string
	Rate     int
	Duration time.Duration
	Start    time.Time // when the load tool began sending (after its catalog read)
	End      time.Time // when it exited, its last answers in
	Dir      string
	recs     []rec
	Failed   int
	NotRun   string // why the load tool never sent: it could not read the catalog

	lead    time.Duration // its catalog read: how early the next run starts
	started chan struct{} // closed when Start is set (or the tool exited)
	done    chan error    // the tool's exit
}

// rec is one request: when it was sent (seconds from the bench's start),
// its latency and whether it failed.
type rec struct {
	At      float64
	Latency float64 // ms
	Failed  bool
}

type bench struct {
	o       options
	t0      time.Time
	mu      sync.Mutex // protects samples
	samples []sample

	rampEnd   time.Time // when the ramp's last step was planned to end
	quietRuns int       // runs of the quiet phase
}

func run(o options) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	b := &bench{o: o, t0: time.Now()}
	if _, err := b.status(); err != nil {
		return fmt.Errorf("reading %s/_agora/status: %w", o.admin, err)
	}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { defer close(sampled); b.sample(stop) }()

	// Each run of the load tool reads the catalog before it sends, so the
	// next one starts that long before this one ends: the load does not
	// pause between steps.
	var runs []*stepRun
	var prev *stepRun
	next := func(phase string, rate int) error {
		r, err := b.start(phase, rate, o.step, len(runs), prev)
		if err != nil {
			// Once, a run exited before sending; its error says why.
			fmt.Fprintf(os.Stderr, "ramp: %v; once more\n", err)
			if r, err = b.start(phase, rate, o.step, len(runs), nil); err != nil {
				// The store is down or the machine swamped: say so in the
				// report rather than lose the steps already run.
				fmt.Fprintf(os.Stderr, "ramp: %v; step not run\n", err)
				now := time.Now()
				runs = append(runs, &stepRun{Phase: phase, Rate: rate, Start: now, End: now, NotRun: err.Error()})
				return nil
			}
		}
		runs, prev = append(runs, r), r
		return nil
	}
	for _, rate := range o.steps {
		if err := next("ramp", rate); err != nil {
			return err
		}
	}
	rampEnd := prev.plannedEnd()
	quietStart := len(runs)
	for {
		if err := next("quiet", o.quietRate); err != nil {
			return err
		}
		// Wait for the quiet step to start before checking, so at least one runs.
		st, err := b.status()
		if err != nil {
			return err
		}
		if st.Scale.Size == o.min && st.Scale.Ready == o.min {
			break
		}
		if time.Since(rampEnd) > o.quietMax {
			fmt.Fprintf(os.Stderr, "ramp: the pool is still at %d after %s of quiet\n", st.Scale.Size, o.quietMax)
			break
		}
	}
	for _, rate := range []int{o.burstFrom, o.burstTo} {
		if err := next("burst", rate); err != nil {
			return err
		}
	}
	for _, r := range runs {
		if err := r.wait(b); err != nil {
			return err
		}
	}
	quietRuns := runs[quietStart : len(runs)-2]
	b.rampEnd, b.quietRuns = rampEnd, len(quietRuns)
	close(stop)
	<-sampled
	final, err := b.status()
	if err != nil {
		return err
	}
	return b.report(runs, quietRuns, rampEnd, final.Scale.Decisions)
}

// sample reads the status every half second until stop closes.
func (b *bench) sample(stop <-chan struct{}) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		if st, err := b.status(); err == nil {
			s := sample{At: time.Since(b.t0).Seconds(), Size: st.Scale.Size, Ready: st.Scale.Ready,
				Desired: st.Scale.Desired, Panicking: st.Scale.Panicking}
			for _, be := range st.Pool.Backends {
				s.InFlight += be.InFlight
			}
			b.mu.Lock()
			b.samples = append(b.samples, s)
			b.mu.Unlock()
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func (b *bench) status() (status, error) {
	var st status
	res, err := http.Get(b.o.admin + "/_agora/status")
	if err != nil {
		return st, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status: %s", res.Status)
	}
	return st, json.NewDecoder(res.Body).Decode(&st)
}

// start starts the load tool once, after the previous run (if any) is
// within its catalog read of its end, and returns when this one sends.
// It notes when the tool began sending from its "load test" log line,
// which comes after the catalog read, so the records' times can be placed
// on the bench's clock.
func (b *bench) start(phase string, rate int, d time.Duration, i int, prev *stepRun) (*stepRun, error) {
	if prev != nil {
		time.Sleep(time.Until(prev.plannedEnd().Add(-prev.lead))) // pacing the steps, not synchronising
	}
	r := &stepRun{Phase: phase, Rate: rate, Duration: d, Dir: filepath.Join(b.o.out, fmt.Sprintf("%02d-%s-%d", i, phase, rate)),
		started: make(chan struct{}), done: make(chan error, 1)}
	fmt.Fprintf(os.Stderr, "ramp: %s at %d req/s for %s\n", phase, rate, d)
	cmd := exec.Command(b.o.agora, "loadtest", "--target", b.o.target, "--rate", strconv.Itoa(rate),
		"--duration", d.String(), "--seed", strconv.Itoa(i+1), "--mix", mix, "--out", r.Dir)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	launched := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		var last string // the tool's last line, for an error
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			last = sc.Text()
			if r.Start.IsZero() && strings.Contains(sc.Text(), `msg="load test"`) {
				r.Start = time.Now()
				close(r.started)
			}
		}
		// Exit 1 means some requests failed: the records say which.
		err := cmd.Wait()
		if err != nil && cmd.ProcessState.ExitCode() != 1 {
			err = fmt.Errorf("agora loadtest at %d/s: %w", rate, err)
		} else {
			err = nil
		}
		r.End = time.Now()
		if r.Start.IsZero() {
			close(r.started)
			err = fmt.Errorf("agora loadtest at %d/s never said it started: %s", rate, last)
		}
		r.done <- err
	}()
	<-r.started
	if r.Start.IsZero() {
		return nil, <-r.done
	}
	r.lead = r.Start.Sub(launched) + 200*time.Millisecond
	return r, nil
}

func (r *stepRun) plannedEnd() time.Time { return r.Start.Add(r.Duration) }

// wait waits for the run to end and reads its records.
func (r *stepRun) wait(b *bench) error {
	if r.NotRun != "" {
		return nil
	}
	if err := <-r.done; err != nil {
		return err
	}
	return b.read(r)
}

func (b *bench) read(r *stepRun) error {
	f, err := os.Open(filepath.Join(r.Dir, loadtest.RequestsFile))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	r.recs, r.Failed = nil, 0 // a replot reads them again
	col := func(name string) int { return slices.Index(loadtest.CSVHeader, name) }
	sent, lat, outcome := col("sent_s"), col("latency_ms"), col("outcome")
	off := r.Start.Sub(b.t0).Seconds()
	for _, row := range rows[1:] {
		failed := row[outcome] == string(loadtest.Failed)
		if failed {
			r.Failed++
		}
		s, err := strconv.ParseFloat(row[sent], 64)
		if err != nil {
			continue // never sent (counted as failed above)
		}
		l, _ := strconv.ParseFloat(row[lat], 64)
		r.recs = append(r.recs, rec{At: off + s, Latency: l, Failed: failed})
	}
	return nil
}

// percentile of the latencies of recs that did not fail (ms).
func percentile(recs []rec, p float64) float64 {
	var ls []float64
	for _, r := range recs {
		if !r.Failed {
			ls = append(ls, r.Latency)
		}
	}
	if len(ls) == 0 {
		return 0
	}
	slices.Sort(ls)
	return ls[min(len(ls)-1, int(p*float64(len(ls))))]
}

// during are the samples taken between from and to.
func (b *bench) during(from, to time.Time) []sample {
	lo, hi := from.Sub(b.t0).Seconds(), to.Sub(b.t0).Seconds()
	var out []sample
	for _, s := range b.samples {
		if s.At >= lo && s.At <= hi {
			out = append(out, s)
		}
	}
	return out
}

func (b *bench) report(runs, quiet []*stepRun, rampEnd time.Time, decisions []autoscale.Decision) error {
	var md strings.Builder
	fmt.Fprintln(&md, "| phase | offered req/s | achieved req/s | pool size (min–max) | ready at end | desired (max) | p50 | p95 | p99 | sent | failed |")
	fmt.Fprintln(&md, "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
	total, failed, notRun := 0, 0, 0
	for _, r := range runs {
		ss := b.during(r.Start, r.plannedEnd())
		lo, hi, maxDesired, ready := 0, 0, 0, 0
		for i, s := range ss {
			if i == 0 || s.Size < lo {
				lo = s.Size
			}
			hi, maxDesired, ready = max(hi, s.Size), max(maxDesired, s.Desired), s.Ready
		}
		if r.NotRun != "" {
			fmt.Fprintf(&md, "| %s | %d | not run: %s |||||||||\n", r.Phase, r.Rate, r.NotRun)
			notRun++
			continue
		}
		secs := r.Duration.Seconds()
		total += len(r.recs)
		failed += r.Failed
		fmt.Fprintf(&md, "| %s | %d | %.0f | %d–%d | %d | %d | %.0f ms | %.0f ms | %.0f ms | %d | %d |\n", r.Phase, r.Rate,
			float64(len(r.recs))/secs, lo, hi, ready, maxDesired,
			percentile(r.recs, .5), percentile(r.recs, .95), percentile(r.recs, .99), len(r.recs), r.Failed)
	}
	var sum strings.Builder
	fmt.Fprintf(&sum, "requests: %d, failed: %d; steps not run (the load tool could not read the catalog): %d\n", total, failed, notRun)
	if len(quiet) > 0 {
		at := ""
		for _, s := range b.samples {
			if s.At > rampEnd.Sub(b.t0).Seconds() && s.Size == b.o.min && s.Ready == b.o.min {
				at = fmt.Sprintf("%.0f s", s.At-rampEnd.Sub(b.t0).Seconds())
				break
			}
		}
		fmt.Fprintf(&sum, "quiet: load down to %d req/s; the pool was back at --min %d after %s\n", b.o.quietRate, b.o.min, or(at, "(never)"))
	}
	burst := runs[len(runs)-1]
	var panicAt *autoscale.Decision
	for i, d := range decisions {
		if d.Mode == autoscale.Panic && d.To > d.From && !d.At.Before(burst.Start) {
			panicAt = &decisions[i]
			break
		}
	}
	if panicAt != nil {
		ready := "(never)"
		for _, s := range b.during(panicAt.At, burst.End) {
			if s.Ready >= panicAt.To {
				ready = fmt.Sprintf("%.1f s", s.At-burst.Start.Sub(b.t0).Seconds())
				break
			}
		}
		fmt.Fprintf(&sum, "burst: %d → %d req/s; panic decision %d → %d after %.1f s; %d ready after %s\n  reason: %s\n",
			b.o.burstFrom, b.o.burstTo, panicAt.From, panicAt.To, panicAt.At.Sub(burst.Start).Seconds(), panicAt.To, ready, panicAt.Reason)
	} else {
		fmt.Fprintf(&sum, "burst: %d → %d req/s took no panic decision\n", b.o.burstFrom, b.o.burstTo)
	}
	fmt.Fprintln(&sum, "decisions (the last ones the edge keeps):")
	for _, d := range decisions {
		fmt.Fprintf(&sum, "  %+6.1f s  %d → %d  %-6s %s\n", d.At.Sub(b.t0).Seconds(), d.From, d.To, d.Mode, d.Reason)
	}
	report := md.String() + "\n" + sum.String()
	if err := b.saveRuns(runs, decisions); err != nil {
		return err
	}
	fmt.Print(report)
	if err := os.WriteFile(filepath.Join(b.o.out, "report.md"), []byte(report), 0o644); err != nil {
		return err
	}
	if err := b.writeSamples(); err != nil {
		return err
	}
	var svg strings.Builder
	b.plot(&svg, runs, decisions)
	if err := os.WriteFile(filepath.Join(b.o.out, "ramp.svg"), []byte(svg.String()), 0o644); err != nil {
		return err
	}
	if b.o.svg != "" {
		return os.WriteFile(b.o.svg, []byte(svg.String()), 0o644)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (b *bench) writeSamples() error {
	f, err := os.Create(filepath.Join(b.o.out, "samples.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"at_s", "size", "ready", "desired", "panicking", "in_flight"})
	for _, s := range b.samples {
		w.Write([]string{fmt.Sprintf("%.1f", s.At), strconv.Itoa(s.Size), strconv.Itoa(s.Ready),
			strconv.Itoa(s.Desired), strconv.FormatBool(s.Panicking), strconv.FormatInt(s.InFlight, 10)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// saved is what --replot needs besides the samples and the load tool's
// records: the bench's start, each run's place on its clock, the decisions.
type saved struct {
	T0        time.Time            `json:"t0"`
	RampEnd   time.Time            `json:"ramp_end"`
	QuietRuns int                  `json:"quiet_runs"`
	Runs      []*stepRun           `json:"runs"`
	Decisions []autoscale.Decision `json:"decisions"`
}

func (b *bench) saveRuns(runs []*stepRun, decisions []autoscale.Decision) error {
	data, err := json.MarshalIndent(saved{T0: b.t0, RampEnd: b.rampEnd, QuietRuns: b.quietRuns, Runs: runs, Decisions: decisions}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.o.out, "runs.json"), data, 0o644)
}

// replot redraws the report and the plot of a finished run from its files.
func replot(o options) error {
	data, err := os.ReadFile(filepath.Join(o.out, "runs.json"))
	if err != nil {
		return err
	}
	var sv saved
	if err := json.Unmarshal(data, &sv); err != nil {
		return err
	}
	b := &bench{o: o, t0: sv.T0, rampEnd: sv.RampEnd, quietRuns: sv.QuietRuns}
	f, err := os.Open(filepath.Join(o.out, "samples.csv"))
	if err != nil {
		return err
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		return err
	}
	for _, r := range rows[1:] {
		var s sample
		s.At, _ = strconv.ParseFloat(r[0], 64)
		s.Size, _ = strconv.Atoi(r[1])
		s.Ready, _ = strconv.Atoi(r[2])
		s.Desired, _ = strconv.Atoi(r[3])
		s.Panicking = r[4] == "true"
		s.InFlight, _ = strconv.ParseInt(r[5], 10, 64)
		b.samples = append(b.samples, s)
	}
	for _, r := range sv.Runs {
		if r.NotRun == "" {
			if err := b.read(r); err != nil {
				return err
			}
		}
	}
	quiet := sv.Runs[len(sv.Runs)-2-sv.QuietRuns : len(sv.Runs)-2]
	return b.report(sv.Runs, quiet, sv.RampEnd, sv.Decisions)
}
