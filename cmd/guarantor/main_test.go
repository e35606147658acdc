package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

func noEnv(string) string { return "" }

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, nil)
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "simulate") {
		t.Fatalf("guarantor with no arguments: %d %q", code, out)
	}
	for _, c := range commands() {
		code, out, errOut := runCLI(t, nil, c.name, "--help")
		if code != 0 || strings.Count(out, "Usage: guarantor "+c.name) != 1 || errOut != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q; want the usage once on stdout", c.name, code, out, errOut)
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out, envName(f.Name)) {
				t.Errorf("%s --help does not name %s", c.name, envName(f.Name))
			}
		})
	}
	if code, _, errOut := runCLI(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := runCLI(t, nil, "serve", "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "guarantor ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestMigrateAndEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	env := map[string]string{"GUARANTOR_DB": db}
	if code, _, errOut := runCLI(t, env, "migrate", "--status"); code != 1 || !strings.Contains(errOut, "no database") {
		t.Fatalf("migrate --status on a missing file: %d %q", code, errOut)
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("migrate --status created a database")
	}
	code, out, _ := runCLI(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "applied 0001_") {
		t.Fatalf("migrate: %d %q", code, out)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("GUARANTOR_DB was not used: %v", err)
	}
	code, out, _ = runCLI(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") || strings.Contains(out, "pending") {
		t.Errorf("second migrate: %d %q", code, out)
	}
	// A flag on the command line wins over the environment.
	other := filepath.Join(t.TempDir(), "other.db")
	if code, _, _ := runCLI(t, env, "migrate", "--db", other); code != 0 {
		t.Fatal("migrate --db")
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("--db did not override GUARANTOR_DB: %v", err)
	}
	if code, _, errOut := runCLI(t, map[string]string{"GUARANTOR_STATUS": "maybe"}, "migrate"); code != 2 || !strings.Contains(errOut, "GUARANTOR_STATUS") {
		t.Errorf("bad environment value: %d %q", code, errOut)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// readyAddr waits for the "guarantor is ready" log line and returns its address.
func readyAddr(t *testing.T, logs func() string, exited <-chan struct{}) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(logs()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "guarantor is ready" {
				return line.Addr
			}
		}
		select {
		case <-exited:
			t.Fatalf("server exited before it was ready:\n%s", logs())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server not ready after 60 s:\n%s", logs())
	return ""
}

// served is a guarantor server running in this process.
type served struct {
	base string
	logs *syncBuffer
	// stop stops the server as SIGTERM would and returns its exit status.
	stop func() int
}

// startServe runs `guarantor serve` with args on a free loopback port and
// waits until it is ready.
func startServe(t *testing.T, args ...string) served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	exited := make(chan struct{})
	var code int
	go func() {
		defer close(exited)
		code = run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...), noEnv, strings.NewReader(""), io.Discard, logs)
	}()
	addr := readyAddr(t, logs.String, exited)
	return served{base: "http://" + addr, logs: logs, stop: func() int { cancel(); <-exited; return code }}
}

// newToken adds a user with roles to the database file db, creating the
// database first if need be, and returns an API token for them, through the
// commands an operator uses.
func newToken(t *testing.T, db, name, roles string) string {
	t.Helper()
	if code, _, errOut := runCLI(t, nil, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	if code, _, errOut := runCLI(t, nil, "user", "add", "--db", db, "--name", name, "--nation", "GBR", "--clearance", "SECRET", "--roles", roles, "--no-password"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	return createToken(t, db, name)
}

// createToken runs `guarantor token create` and returns what it printed.
func createToken(t *testing.T, db, name string) string {
	t.Helper()
	code, out, errOut := runCLI(t, nil, "token", "create", "--db", db, "--user", name)
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	return strings.TrimSpace(out)
}

// request sends a request with token as its bearer token.
func request(method, url, token, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return http.DefaultClient.Do(req)
}

// TestDemo starts the server with --demo twice on one database: the first
// start loads the scenario, the second finds it complete and loads nothing.
func TestDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	s := startServe(t, "--db", db, "--demo")
	if !strings.Contains(s.logs.String(), `"msg":"demo data loaded"`) {
		t.Errorf("no demo data loaded:\n%s", s.logs.String())
	}
	// A token made on the database file while the server runs on it.
	token := createToken(t, db, "analyst-gbr")
	for _, path := range []string{"/api/v1/terms", "/api/v1/sensors/AS-001", "/api/v1/observations?limit=1&kind=report"} {
		res, err := request("GET", s.base+path, token, "", nil)
		if err != nil || res.StatusCode != 200 {
			t.Errorf("GET %s after --demo: %v %v", path, res.StatusCode, err)
		}
		res.Body.Close()
	}
	// The patrols' restrictions of access are loaded too.
	res, err := request("GET", s.base+"/api/v1/restrictions?limit=10", token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Features []json.RawMessage `json:"features"`
	}
	err = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if res.StatusCode != 200 || err != nil || len(page.Features) == 0 {
		t.Errorf("GET /api/v1/restrictions after --demo: %d, %d restrictions, %v", res.StatusCode, len(page.Features), err)
	}
	if !strings.Contains(s.logs.String(), `"restrictions":`) {
		t.Errorf("the demo load does not log its restrictions:\n%s", s.logs.String())
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	s = startServe(t, "--db", db, "--demo")
	defer s.stop()
	if !strings.Contains(s.logs.String(), `"msg":"demo data already loaded"`) || !strings.Contains(s.logs.String(), `"restrictions_added":0`) {
		t.Errorf("second start did not find the demo data, restrictions included:\n%s", s.logs.String())
	}
	if code, _, errOut := runCLI(t, nil, "serve", "--db", filepath.Join(t.TempDir(), "x.db"), "--max-body", "0"); code != 2 || !strings.Contains(errOut, "--max-body") {
		t.Errorf("--max-body 0: %d %q", code, errOut)
	}
}

// TestServeShutdownFinishesRequests starts the server, begins a streaming
// ingest, stops the server (as SIGTERM does) in the middle of it, and checks
// that the request in flight completes and its observations are stored.
func TestServeShutdownFinishesRequests(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	token := newToken(t, db, "feeder", "ingest")
	s := startServe(t, "--db", db)
	addr := strings.TrimPrefix(s.base, "http://")
	res, err := http.Get(s.base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()

	pr, pw := io.Pipe()
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := request("POST", "http://"+addr+"/api/v1/observations", token, "application/x-ndjson", pr)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		answered <- answer{status: res.StatusCode, body: b}
	}()
	write := func(from, to int) {
		for i := from; to > i; i++ {
			b, _ := observe.Marshal(storetest.Obs(fmt.Sprintf("sd-%d", i), 37, 48, time.Duration(i)*time.Second))
			pw.Write(append(b, '\n'))
		}
	}
	write(0, 50)
	time.Sleep(100 * time.Millisecond) // the request is in flight
	stopped := make(chan int, 1)
	go func() { stopped <- s.stop() }() // what SIGINT or SIGTERM does
	time.Sleep(100 * time.Millisecond)
	write(50, 100)
	pw.Close()
	a := <-answered
	if a.err != nil || a.status != 200 || !bytes.Contains(a.body, []byte(`"accepted":100`)) {
		t.Fatalf("in-flight request during shutdown: %v %d %s", a.err, a.status, a.body)
	}
	if code := <-stopped; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, s.logs.String())
	}
	if !strings.Contains(s.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", s.logs.String())
	}
}

// TestKillMidIngest kills the server process with SIGKILL while clients are
// sending, restarts nothing, and opens the database file: every observation
// the server acknowledged must be there.
func TestKillMidIngest(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "guarantor")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "kill.db")
	token := newToken(t, db, "feeder", "ingest")
	var logs syncBuffer
	cmd := exec.Command(bin, "serve", "--db", db, "--listen", "127.0.0.1:0", "--log-format", "json", "--rate-limit", "-1")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill() }) // if the test fails before it kills the server
	addr := readyAddr(t, logs.String, exited)

	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := 0; ; batch++ {
				var body bytes.Buffer
				var ids []string
				for i := range 200 {
					id := fmt.Sprintf("k-%d-%d-%d", w, batch, i)
					b, _ := observe.Marshal(storetest.Obs(id, 37, 48, time.Duration(i)*time.Millisecond))
					body.Write(append(b, '\n'))
					ids = append(ids, id)
				}
				res, err := request("POST", "http://"+addr+"/api/v1/observations", token, "application/x-ndjson", &body)
				if err != nil {
					return // the server is gone
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == 200 && bytes.Contains(b, []byte(`"accepted":200`)) {
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}
		}()
	}
	// Let some batches be acknowledged, then kill without warning.
	clientsDone := make(chan struct{})
	go func() { wg.Wait(); close(clientsDone) }()
	deadline := time.After(2 * time.Minute)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 4000 {
			break
		}
		select {
		case <-clientsDone:
			t.Fatalf("the clients stopped after %d acknowledgements, before the kill:\n%s", n, logs.String())
		case <-deadline:
			t.Fatalf("only %d acknowledgements after 2 minutes:\n%s", n, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	wg.Wait()

	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range acked {
		if _, err := st.Observation(context.Background(), id); err != nil {
			t.Fatalf("acknowledged observation %s lost after kill: %v", id, err)
		}
	}
	t.Logf("%d acknowledged observations all found after SIGKILL", len(acked))
}

func TestSimulate(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	for _, dir := range []string{dirA, dirB} {
		code, out, errOut := runCLI(t, nil, "simulate", "--seed", "7", "--duration", "2h", "--out", dir)
		if code != 0 || !strings.Contains(out, "observations.ndjson") {
			t.Fatalf("simulate: %d %q %q", code, out, errOut)
		}
	}
	for _, name := range []string{"observations.ndjson", "restrictions.geojson", "sensors.json", "terms.yaml", "truth.json"} {
		a, err := os.ReadFile(filepath.Join(dirA, name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dirB, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: empty or not reproducible for the same seed", name)
		}
	}
	if code, _, errOut := runCLI(t, nil, "simulate"); code != 2 || !strings.Contains(errOut, "--out") {
		t.Errorf("simulate without --out: %d %q", code, errOut)
	}
}

// TestSimulatedScenarioIngests posts a simulated scenario to a running
// server exactly as a client would: terms, sensors, then the NDJSON file,
// and the restrictions of access of a scenario with a patrols' day.
func TestSimulatedScenarioIngests(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, nil, "simulate", "--seed", "3", "--duration", "2h", "--out", dir); code != 0 {
		t.Fatal(errOut)
	}
	db := filepath.Join(dir, "s.db")
	token := newToken(t, db, "operator", "admin")
	s := startServe(t, "--db", db, "--terms", filepath.Join(dir, "terms.yaml"))
	defer s.stop()
	base := s.base
	post := func(path, ct, file string) map[string]any {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := request("POST", base+path, token, ct, f)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r map[string]any
		json.NewDecoder(res.Body).Decode(&r)
		if res.StatusCode != 200 {
			t.Fatalf("POST %s: %d %v", path, res.StatusCode, r)
		}
		return r
	}
	post("/api/v1/sensors", "application/json", filepath.Join(dir, "sensors.json"))
	r := post("/api/v1/observations", "application/x-ndjson", filepath.Join(dir, "observations.ndjson"))
	if r["rejected"].(float64) != 0 || r["accepted"].(float64) == 0 {
		t.Fatalf("scenario ingest: %v", r)
	}
	// The scenario re-sends some observations with the same id, as a retry would.
	if r["duplicates"].(float64) == 0 {
		t.Errorf("no duplicates counted; the simulator re-sends some observations")
	}
	again := post("/api/v1/observations", "application/x-ndjson", filepath.Join(dir, "observations.ndjson"))
	if again["accepted"].(float64) != 0 || again["duplicates"].(float64) != r["accepted"].(float64)+r["duplicates"].(float64) {
		t.Errorf("second post: %v, want everything a duplicate", again)
	}

	// Two hours from midnight hold no patrol; a day until 15:00 does.
	day := t.TempDir()
	if code, _, errOut := runCLI(t, nil, "simulate", "--seed", "1", "--hours", "15", "--sensors", "10", "--out", day); code != 0 {
		t.Fatal(errOut)
	}
	b, err := os.ReadFile(filepath.Join(day, "restrictions.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil || len(fc.Features) == 0 {
		t.Fatalf("restrictions.geojson: %d restrictions, %v", len(fc.Features), err)
	}
	for i, want := range []string{"accepted", "duplicates"} {
		r := post("/api/v1/restrictions", "application/geo+json", filepath.Join(day, "restrictions.geojson"))
		if r["rejected"].(float64) != 0 || r[want].(float64) != float64(len(fc.Features)) {
			t.Errorf("post %d of %d restrictions: %v, want them all %s", i+1, len(fc.Features), r, want)
		}
	}
}

// TestServeShutdownEndsStreams stops the server while a client follows the
// incident stream: the stream ends and the server stops at once, rather
// than at the end of the shutdown timeout.
func TestServeShutdownEndsStreams(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	token := newToken(t, db, "reader", "viewer")
	s := startServe(t, "--db", db, "--shutdown-timeout", "20s")
	res, err := request("GET", s.base+"/api/v1/incidents/stream", token, "", nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stream: %v %v", res, err)
	}
	defer res.Body.Close()
	ended := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, res.Body); ended <- err }()
	start := time.Now()
	if code := s.stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, s.logs.String())
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("stopping with an open stream took %s", took)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Error("the stream did not end when the server stopped")
	}
}
