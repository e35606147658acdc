// Command ingestbench measures guarantor's ingest and query at scale, against
// the real binary over HTTP: it starts `guarantor serve` on a fresh database,
// streams observations into it from several clients (each one long NDJSON
// request, generated as it is sent), reports the rate for every million
// observations and the server's peak resident memory, then measures the
// latency of bounding-box-and-time queries over the full database. With
// -audit it then stops the server and times `guarantor audit --db` over the
// database, with the audit's peak resident memory.
//
//	go build -o /tmp/guarantor ./cmd/guarantor
//	go run ./cmd/ingestbench -bin /tmp/guarantor -n 5000000 [-pregenerate] [-audit]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

func main() {
	bin := flag.String("bin", "", "the guarantor binary to run (required)")
	n := flag.Int("n", 5_000_000, "how many observations to send")
	clients := flag.Int("clients", 4, "concurrent streaming requests")
	queries := flag.Int("queries", 1000, "bounding-box-and-time queries to time after ingest")
	dir := flag.String("dir", "", "directory for the database (default: a new temporary one)")
	pregen := flag.Bool("pregenerate", false, "generate every request body in memory before sending, so that the client's own work does not share the CPU with the server during the measurement")
	settle := flag.Duration("settle", 0, "wait this long after the ingest before the queries, so that they run on a database at rest (the WAL copied back)")
	audit := flag.Bool("audit", false, "after the queries, stop the server and time `guarantor audit --db` over the database, with its peak memory")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "ingestbench: -bin is required (go build -o /tmp/guarantor ./cmd/guarantor)")
		os.Exit(2)
	}
	if err := run(*bin, *dir, *n, *clients, *queries, *settle, *pregen, *audit); err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
}

func run(bin, dir string, n, clients, queries int, settle time.Duration, pregen, audit bool) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "ingestbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	db := filepath.Join(dir, "bench.db")
	token, err := benchToken(bin, db)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", "--db", db, "--listen", "127.0.0.1:0", "--log-format", "json", "--max-body", "100000000000", "--rate-limit", "-1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	addr, err := waitReady(stderr)
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, stderr)
	base := "http://" + addr
	fmt.Printf("server pid %d at %s, database %s\n", cmd.Process.Pid, base, db)

	// Ingest: each client streams its share as one request.
	per := n / clients
	bodies := make([][][]byte, clients)
	if pregen {
		t0 := time.Now()
		for c := range bodies {
			for done := 0; done < per; done += chunkSize {
				b, err := ndjsonChunk(c*per+done, min(chunkSize, per-done))
				if err != nil {
					return err
				}
				bodies[c] = append(bodies[c], b)
			}
		}
		fmt.Printf("generated %d observations in memory in %s\n", per*clients, time.Since(t0).Round(time.Millisecond))
	}
	var sent atomic.Int64
	start := time.Now()
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- stream(base, token, c*per, per, bodies[c], &sent)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	report := time.NewTicker(100 * time.Millisecond)
	next, lastT, lastN := int64(1_000_000), start, int64(0)
loop:
	for {
		select {
		case <-done:
			break loop
		case <-report.C:
			if s := sent.Load(); s >= next {
				now := time.Now()
				fmt.Printf("  %7d observations: %6.0f obs/s over the last %d (server RSS %s)\n", s, float64(s-lastN)/now.Sub(lastT).Seconds(), s-lastN, rss(cmd.Process.Pid, "VmRSS"))
				next += 1_000_000
				lastT, lastN = now, s
			}
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	total := per * clients
	fmt.Printf("ingest: %d observations in %s = %.0f obs/s; server peak RSS %s\n", total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), rss(cmd.Process.Pid, "VmHWM"))

	if settle > 0 {
		fmt.Printf("waiting %s before the queries\n", settle)
		time.Sleep(settle)
	}
	// Queries: random boxes of about 50 km and one-hour windows over the data.
	rng := rand.New(rand.NewPCG(42, 0))
	lat := make([]time.Duration, 0, queries)
	features := 0
	span := max(time.Duration(total)*storetest.SyntheticSpacing-time.Hour, time.Minute)
	for range queries {
		lon, la := 32+rng.Float64()*6, 46.3+rng.Float64()*3.5
		from := storetest.SyntheticStart.Add(time.Duration(rng.Int64N(int64(span))))
		url := fmt.Sprintf("%s/api/v1/observations?bbox=%.4f,%.4f,%.4f,%.4f&from=%s&to=%s&limit=1000",
			base, lon, la, lon+0.65, la+0.45, from.Format(time.RFC3339), from.Add(time.Hour).Format(time.RFC3339))
		// The latency is the time to the last byte of the answer; decoding it
		// is the client's business and is not counted.
		t0 := time.Now()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		lat = append(lat, time.Since(t0))
		var fc struct {
			NumberReturned int `json:"numberReturned"`
		}
		if err == nil {
			err = json.Unmarshal(body, &fc)
		}
		if err != nil || res.StatusCode != 200 {
			return fmt.Errorf("query %s: %d %v", url, res.StatusCode, err)
		}
		features += fc.NumberReturned
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("query (bbox ~50 km, 1 h window, limit 1000) over %d observations: %d queries, mean %.0f features; p50 %s p90 %s p99 %s max %s\n",
		total, queries, float64(features)/float64(queries), pct(0.5).Round(time.Microsecond), pct(0.9).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	fmt.Printf("server peak RSS over the whole run: %s\n", rss(cmd.Process.Pid, "VmHWM"))
	if !audit {
		return nil
	}
	// Stop the server as an operator would, so that it signs its last
	// checkpoint and leaves the database file whole, then audit the file.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return runAudit(bin, db, total)
}

// benchToken adds a machine client that may ingest and read to a fresh
// database, with the binary's own commands, and returns its API token.
func benchToken(bin, db string) (string, error) {
	if out, err := exec.Command(bin, "migrate", "--db", db).CombinedOutput(); err != nil {
		return "", fmt.Errorf("create the database: %v\n%s", err, out)
	}
	add := exec.Command(bin, "user", "add", "--db", db, "--name", "ingestbench", "--nation", "FRA", "--clearance", "SECRET", "--roles", "ingest,viewer", "--no-password")
	if out, err := add.CombinedOutput(); err != nil {
		return "", fmt.Errorf("add the benchmark's user: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	create := exec.Command(bin, "token", "create", "--db", db, "--user", "ingestbench", "--label", "ingestbench")
	create.Stderr = &stderr
	out, err := create.Output()
	if err != nil {
		return "", fmt.Errorf("create the benchmark's token: %v\n%s", err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

// runAudit times `guarantor audit --db` over the database and reports its
// peak resident memory, sampled from /proc while it runs (the rusage of a
// child counts the memory of this process, which the child shares until it
// executes the binary).
func runAudit(bin, db string, records int) error {
	var out bytes.Buffer
	audit := exec.Command(bin, "audit", "--db", db)
	audit.Stdout, audit.Stderr = &out, &out
	t0 := time.Now()
	if err := audit.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- audit.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	peak := 0
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			peak = max(peak, memKB(audit.Process.Pid, "VmHWM"))
		}
	}
	elapsed := time.Since(t0)
	if err != nil {
		return fmt.Errorf("audit: %v\n%s", err, out.Bytes())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		fmt.Printf("  %s\n", line)
	}
	fmt.Printf("audit: %d records in %s = %.0f records/s; audit peak RSS %d MB\n", records, elapsed.Round(time.Millisecond), float64(records)/elapsed.Seconds(), peak/1024)
	return nil
}

const chunkSize = 1000

// ndjsonChunk renders count synthetic observations, numbered from first.
func ndjsonChunk(first, count int) ([]byte, error) {
	var buf bytes.Buffer
	for _, o := range storetest.Synthetic(1, first, count) {
		b, err := observe.Marshal(o)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// stream sends count observations, numbered from first, as one NDJSON
// request: the chunks given, or else generated as the body is read. Each
// client sends its own stretch of the day, as gateways replaying different
// periods would.
func stream(base, token string, first, count int, chunks [][]byte, sent *atomic.Int64) error {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 256<<10)
		for i, done := 0, 0; done < count; i, done = i+1, done+chunkSize {
			var b []byte
			if chunks != nil {
				b = chunks[i]
			} else {
				var err error
				if b, err = ndjsonChunk(first+done, min(chunkSize, count-done)); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			w.Write(b)
			sent.Add(int64(min(chunkSize, count-done)))
		}
		pw.CloseWithError(w.Flush())
	}()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/observations", pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var r struct {
		Accepted, Rejected int
		Error              string
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return err
	}
	if res.StatusCode != 200 || r.Accepted != count {
		return fmt.Errorf("client from %d: status %d, accepted %d of %d, rejected %d: %s", first, res.StatusCode, r.Accepted, count, r.Rejected, r.Error)
	}
	return nil
}

func waitReady(stderr io.Reader) (string, error) {
	sc := bufio.NewScanner(stderr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for sc.Scan() && ctx.Err() == nil {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "guarantor is ready" {
			return line.Addr, nil
		}
	}
	return "", errors.New("the server did not become ready")
}

// rss reads a memory figure of a process from /proc (Linux).
func rss(pid int, field string) string {
	kb := memKB(pid, field)
	if kb < 0 {
		return "?"
	}
	return fmt.Sprintf("%d MB", kb/1024)
}

// memKB reads a memory figure of a process from /proc (Linux), in
// kilobytes, or -1.
func memKB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int
			if _, err := fmt.Sscan(strings.TrimSpace(v), &kb); err != nil {
				return -1
			}
			return kb
		}
	}
	return -1
}
