package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memOutbox is an Outbox in memory, checking what a store would.
type memOutbox struct {
	mu        sync.Mutex
	open      map[string]*Delivery
	attempts  []Attempt
	nexts     []time.Time
	dueErr    error
	recordErr error
	// onRecord, when set, is called with each attempt recorded.
	onRecord func(Attempt)
}

func newOutbox(ds ...Delivery) *memOutbox {
	m := &memOutbox{open: make(map[string]*Delivery)}
	m.add(ds...)
	return m
}

func (m *memOutbox) add(ds ...Delivery) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range ds {
		m.open[d.ID] = &d
	}
}

// setWebhook changes a webhook's registration, as an admin would.
func (m *memOutbox) setWebhook(w Webhook) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.open {
		if d.Webhook.ID == w.ID {
			d.Webhook = w
		}
	}
}

func (m *memOutbox) Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dueErr != nil {
		return nil, m.dueErr
	}
	var due []Delivery
	for _, d := range m.open {
		if !d.NextAt.After(now) {
			due = append(due, *d)
		}
	}
	slices.SortFunc(due, func(a, b Delivery) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), cmp.Compare(a.ID, b.ID))
	})
	if len(due) > limit {
		due = due[:limit]
	}
	return due, nil
}

func (m *memOutbox) Record(ctx context.Context, a Attempt, next time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recordErr != nil {
		return m.recordErr
	}
	d, ok := m.open[a.Delivery]
	switch {
	case !ok:
		return fmt.Errorf("no open delivery %s", a.Delivery)
	case a.N != d.Attempts+1:
		return fmt.Errorf("attempt %d of %s after %d", a.N, a.Delivery, d.Attempts)
	case a.Webhook != d.Webhook.ID || a.Event != d.Event.ID || a.EventType != d.Event.Type:
		return fmt.Errorf("attempt %+v does not match its delivery", a)
	case a.Done && a.GaveUp:
		return fmt.Errorf("attempt %d of %s both done and given up", a.N, a.Delivery)
	case next.IsZero() != (a.Done || a.GaveUp):
		return fmt.Errorf("attempt %d of %s: next %v with done %v, gave up %v", a.N, a.Delivery, next, a.Done, a.GaveUp)
	}
	m.attempts = append(m.attempts, a)
	m.nexts = append(m.nexts, next)
	if m.onRecord != nil {
		m.onRecord(a)
	}
	if next.IsZero() {
		delete(m.open, a.Delivery)
		return nil
	}
	d.Attempts, d.NextAt = a.N, next
	return nil
}

// log returns the attempts recorded and the next time recorded with each.
func (m *memOutbox) log() ([]Attempt, []time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.attempts), slices.Clone(m.nexts)
}

// pending returns the open delivery id, if it is open.
func (m *memOutbox) pending(id string) (Delivery, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.open[id]
	if !ok {
		return Delivery{}, false
	}
	return *d, true
}

// clock is a fake clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// request is what a receiver was sent.
type request struct {
	header http.Header
	body   []byte
}

// receiver is a webhook receiver on loopback that checks every signature
// and answers with answer, given the number of the request from 1.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newReceiver(t *testing.T, secret string, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		if !Verify([]byte(secret), body, r.Header.Get(HeaderSignature)) {
			t.Errorf("receiver: bad signature %q on %s", r.Header.Get(HeaderSignature), body)
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, request{r.Header.Clone(), body})
		n := len(rc.reqs)
		rc.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

func ok(int, http.ResponseWriter, *http.Request) {}

// sender returns a Sender over out on a fake clock at t0 with no jitter.
func sender(out Outbox, clk *clock, cfg Config) *Sender {
	cfg.Outbox = out
	cfg.Now = clk.Now
	if cfg.Rand == nil {
		cfg.Rand = func() float64 { return 0.5 }
	}
	return New(cfg)
}

func event(id string, at time.Time) Event {
	return Event{ID: id, Type: ObligationCreated, At: at, Data: json.RawMessage(`{"obligation":"ob-1"}`)}
}

func mustDeliver(t *testing.T, s *Sender, want int) {
	t.Helper()
	n, err := s.DeliverOnce(t.Context())
	if err != nil {
		t.Fatalf("DeliverOnce: %v", err)
	}
	if n != want {
		t.Fatalf("DeliverOnce made %d attempts, want %d", n, want)
	}
}

func TestDelivered(t *testing.T) {
	const secret = "s3cr3t"
	rc := newReceiver(t, secret, ok)
	ev := event("evt-1", t0)
	w := Webhook{ID: 7, URL: rc.srv.URL + "/hook", Secret: secret}
	out := newOutbox(Deliveries(ev, []Webhook{w}, t0)...)
	clk := &clock{t: t0}
	s := sender(out, clk, Config{})

	mustDeliver(t, s, 1)
	mustDeliver(t, s, 0)

	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	want, err := Body(ev)
	if err != nil {
		t.Fatal(err)
	}
	if string(reqs[0].body) != string(want) {
		t.Errorf("body %s, want %s", reqs[0].body, want)
	}
	for k, v := range map[string]string{
		"Content-Type":  "application/json",
		"User-Agent":    "guarantor",
		HeaderEvent:     ObligationCreated,
		HeaderDelivery:  "evt-1:7",
		HeaderSignature: Sign([]byte(secret), want),
	} {
		if got := reqs[0].header.Get(k); got != v {
			t.Errorf("header %s: %q, want %q", k, got, v)
		}
	}
	as, nexts := out.log()
	if len(as) != 1 {
		t.Fatalf("%d attempts recorded, want 1", len(as))
	}
	a := as[0]
	if !a.Done || a.GaveUp || a.N != 1 || a.Status != 200 || a.Error != "" || !a.At.Equal(t0) ||
		a.Delivery != "evt-1:7" || a.Webhook != 7 || a.Event != "evt-1" || a.EventType != ObligationCreated {
		t.Errorf("attempt %+v", a)
	}
	if !nexts[0].IsZero() {
		t.Errorf("next %v after delivery, want zero", nexts[0])
	}
	if _, open := out.pending("evt-1:7"); open {
		t.Error("delivered, still in the outbox")
	}
}

func TestRetriedUntilDelivered(t *testing.T) {
	rc := newReceiver(t, "k", func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 2 {
			http.Error(w, "overloaded", http.StatusInternalServerError)
		}
	})
	w := Webhook{ID: 1, URL: rc.srv.URL, Secret: "k"}
	out := newOutbox(Deliveries(event("evt-1", t0), []Webhook{w}, t0)...)
	clk := &clock{t: t0}
	s := sender(out, clk, Config{})

	mustDeliver(t, s, 1)
	mustDeliver(t, s, 0) // not due yet
	for range 2 {
		d, open := out.pending("evt-1:1")
		if !open {
			t.Fatal("delivery left the outbox early")
		}
		clk.Set(d.NextAt)
		mustDeliver(t, s, 1)
	}

	as, nexts := out.log()
	wantNext := []time.Time{t0.Add(time.Second), t0.Add(3 * time.Second), {}}
	wantStatus := []int{500, 500, 200}
	if len(as) != 3 {
		t.Fatalf("%d attempts, want 3", len(as))
	}
	for i, a := range as {
		if a.N != i+1 || a.Status != wantStatus[i] || !nexts[i].Equal(wantNext[i]) || a.GaveUp || a.Done != (i == 2) {
			t.Errorf("attempt %d: %+v next %v, want status %d next %v", i+1, a, nexts[i], wantStatus[i], wantNext[i])
		}
		if i < 2 && a.Error != "status 500: overloaded" {
			t.Errorf("attempt %d: error %q", i+1, a.Error)
		}
	}
	if len(rc.requests()) != 3 {
		t.Errorf("%d requests, want 3", len(rc.requests()))
	}
	ids := map[string]bool{}
	for _, r := range rc.requests() {
		ids[r.header.Get(HeaderDelivery)] = true
	}
	if len(ids) != 1 {
		t.Errorf("delivery ids %v: want the same on every attempt", ids)
	}
}

func TestReceiverDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	w := Webhook{ID: 3, URL: "http://" + addr + "/hooks/t0ken", Secret: "k"}
	out := newOutbox(Deliveries(event("evt-1", t0), []Webhook{w}, t0)...)
	clk := &clock{t: t0}
	const attempts = 4
	s := sender(out, clk, Config{MaxAttempts: attempts})

	for {
		mustDeliver(t, s, 1)
		d, open := out.pending("evt-1:3")
		if !open {
			break
		}
		clk.Set(d.NextAt)
	}
	clk.Set(t0.Add(24 * time.Hour))
	mustDeliver(t, s, 0)

	as, nexts := out.log()
	if len(as) != attempts {
		t.Fatalf("%d attempts, want %d", len(as), attempts)
	}
	for i, a := range as {
		last := i == attempts-1
		if a.Status != 0 || a.Error == "" || a.Done || a.GaveUp != last || nexts[i].IsZero() != last {
			t.Errorf("attempt %d: %+v next %v", i+1, a, nexts[i])
		}
		if strings.Contains(a.Error, "t0ken") {
			t.Errorf("attempt %d: error %q shows the URL", i+1, a.Error)
		}
		if i > 0 && !last && !nexts[i].After(nexts[i-1]) {
			t.Errorf("attempt %d: next %v not after %v", i+1, nexts[i], nexts[i-1])
		}
	}
}

func TestSlowReceiver(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, "k", func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before the server closes
	w := Webhook{ID: 1, URL: rc.srv.URL, Secret: "k"}
	out := newOutbox(Deliveries(event("evt-1", t0), []Webhook{w}, t0)...)
	s := sender(out, &clock{t: t0}, Config{Client: &http.Client{Timeout: 5 * time.Millisecond}})

	mustDeliver(t, s, 1)
	as, nexts := out.log()
	if len(as) != 1 || as[0].Done || as[0].GaveUp || as[0].Status != 0 || as[0].Error == "" || nexts[0].IsZero() {
		t.Fatalf("attempts %+v, nexts %v: want one failed and rescheduled", as, nexts)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	target := newReceiver(t, "k", ok)
	rc := newReceiver(t, "k", func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL, http.StatusTemporaryRedirect)
	})
	w := Webhook{ID: 1, URL: rc.srv.URL, Secret: "k"}
	out := newOutbox(Deliveries(event("evt-1", t0), []Webhook{w}, t0)...)
	s := sender(out, &clock{t: t0}, Config{})

	mustDeliver(t, s, 1)
	if n := len(target.requests()); n != 0 {
		t.Errorf("the redirect was followed: %d requests at its target", n)
	}
	as, _ := out.log()
	if len(as) != 1 || as[0].Done || as[0].Status != http.StatusTemporaryRedirect || as[0].Error != "status 307: redirect not followed" {
		t.Errorf("attempts %+v: want one failed with status 307", as)
	}
}

func TestNotWanted(t *testing.T) {
	tests := []struct {
		name string
		hook Webhook
		// later is the registration changed after the delivery was enqueued.
		later   *Webhook
		wantErr string
	}{
		{name: "disabled", hook: Webhook{ID: 1, Disabled: true}},
		{name: "another event", hook: Webhook{ID: 1, Events: []string{ActivationProposed}}},
		{name: "disabled after enqueueing", hook: Webhook{ID: 1}, later: &Webhook{ID: 1, Disabled: true}, wantErr: "webhook disabled"},
		{name: "event dropped after enqueueing", hook: Webhook{ID: 1}, later: &Webhook{ID: 1, Events: []string{ActivationProposed}},
			wantErr: "webhook no longer wants obligation.created"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, "k", ok)
			tc.hook.URL, tc.hook.Secret = rc.srv.URL, "k"
			ds := Deliveries(event("evt-1", t0), []Webhook{tc.hook}, t0)
			out := newOutbox(ds...)
			s := sender(out, &clock{t: t0}, Config{})
			if tc.later == nil {
				if len(ds) != 0 {
					t.Fatalf("deliveries %+v, want none", ds)
				}
				mustDeliver(t, s, 0)
			} else {
				tc.later.URL, tc.later.Secret = rc.srv.URL, "k"
				out.setWebhook(*tc.later)
				mustDeliver(t, s, 1)
				as, _ := out.log()
				if !as[0].GaveUp || as[0].Status != 0 || as[0].Error != tc.wantErr {
					t.Errorf("attempt %+v: want given up with %q", as[0], tc.wantErr)
				}
			}
			if n := len(rc.requests()); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}

func TestOrderAndConcurrency(t *testing.T) {
	const hooks, concurrency = 6, 2
	var inflight, most atomic.Int32
	var mu sync.Mutex
	seen := map[string][]string{} // path: delivery ids in arrival order
	rc := newReceiver(t, "k", func(_ int, _ http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		mu.Lock()
		seen[r.URL.Path] = append(seen[r.URL.Path], r.Header.Get(HeaderDelivery))
		mu.Unlock()
	})
	var ws []Webhook
	for id := int64(1); id <= hooks; id++ {
		ws = append(ws, Webhook{ID: id, URL: fmt.Sprintf("%s/h/%d", rc.srv.URL, id), Secret: "k"})
	}
	// The ids sort against the events' order in time.
	evs := []Event{event("evt-c", t0), event("evt-b", t0.Add(time.Minute)), event("evt-a", t0.Add(2*time.Minute))}
	out := newOutbox()
	for _, ev := range evs {
		out.add(Deliveries(ev, ws, t0)...)
	}
	s := sender(out, &clock{t: t0}, Config{Concurrency: concurrency})

	mustDeliver(t, s, hooks*len(evs))
	if m := most.Load(); m > concurrency {
		t.Errorf("%d deliveries at once, want at most %d", m, concurrency)
	}
	for _, w := range ws {
		path := fmt.Sprintf("/h/%d", w.ID)
		want := []string{DeliveryID("evt-c", w.ID), DeliveryID("evt-b", w.ID), DeliveryID("evt-a", w.ID)}
		if !slices.Equal(seen[path], want) {
			t.Errorf("webhook %d got %v, want %v", w.ID, seen[path], want)
		}
	}
}

func TestFailureHoldsBackTheWebhook(t *testing.T) {
	rc := newReceiver(t, "k", func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	down := Webhook{ID: 1, URL: rc.srv.URL + "/down", Secret: "k"}
	up := Webhook{ID: 2, URL: rc.srv.URL + "/up", Secret: "k"}
	out := newOutbox()
	for i, id := range []string{"evt-1", "evt-2", "evt-3"} {
		out.add(Deliveries(event(id, t0.Add(time.Duration(i)*time.Second)), []Webhook{down, up}, t0)...)
	}
	s := sender(out, &clock{t: t0}, Config{})

	mustDeliver(t, s, 4)
	as, _ := out.log()
	var failed []string
	for _, a := range as {
		if !a.Done {
			failed = append(failed, a.Delivery)
		}
	}
	if !slices.Equal(failed, []string{"evt-1:1"}) {
		t.Errorf("failed attempts %v, want only the oldest to the webhook that is down", failed)
	}
	for _, id := range []string{"evt-2:1", "evt-3:1"} {
		if d, open := out.pending(id); !open || d.Attempts != 0 {
			t.Errorf("%s: open %v, %d attempts; want it left for the next pass", id, open, d.Attempts)
		}
	}
}

func TestBadEventGivesUp(t *testing.T) {
	rc := newReceiver(t, "k", ok)
	w := Webhook{ID: 1, URL: rc.srv.URL, Secret: "k"}
	ev := Event{ID: "evt-1", Type: ObligationUpdated, At: t0, Data: json.RawMessage(`{"broken"`)}
	out := newOutbox(Deliveries(ev, []Webhook{w}, t0)...)
	s := sender(out, &clock{t: t0}, Config{})

	mustDeliver(t, s, 1)
	as, _ := out.log()
	if len(as) != 1 || !as[0].GaveUp || as[0].N != 1 || as[0].Error == "" {
		t.Errorf("attempts %+v: want one, given up", as)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestShutdownDuringAttempt(t *testing.T) {
	started := make(chan struct{})
	rc := newReceiver(t, "k", func(_ int, _ http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	w := Webhook{ID: 1, URL: rc.srv.URL, Secret: "k"}
	out := newOutbox(Deliveries(event("evt-1", t0), []Webhook{w}, t0)...)
	s := sender(out, &clock{t: t0}, Config{})

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()
	n, err := s.DeliverOnce(ctx)
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("DeliverOnce = %d, %v; want 0 and context.Canceled", n, err)
	}
	if as, _ := out.log(); len(as) != 0 {
		t.Errorf("attempts %+v recorded; an attempt we cut short is not the receiver's failure", as)
	}
	if d, open := out.pending("evt-1:1"); !open || d.Attempts != 0 {
		t.Errorf("delivery open %v with %d attempts, want open with none", open, d.Attempts)
	}
}

func TestOutboxErrors(t *testing.T) {
	boom := errors.New("disk full")
	tests := []struct {
		name              string
		dueErr, recordErr error
	}{
		{"due", boom, nil},
		{"record", nil, boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, "k", ok)
			w := Webhook{ID: 1, URL: rc.srv.URL, Secret: "k"}
			out := newOutbox(Deliveries(event("evt-1", t0), []Webhook{w}, t0)...)
			out.dueErr, out.recordErr = tc.dueErr, tc.recordErr
			s := sender(out, &clock{t: t0}, Config{})
			if _, err := s.DeliverOnce(t.Context()); !errors.Is(err, boom) {
				t.Errorf("DeliverOnce: %v, want %v", err, boom)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	s := New(Config{})
	if s.client.Timeout != DefaultTimeout || s.client.CheckRedirect == nil {
		t.Errorf("default client: timeout %v, redirect check %v", s.client.Timeout, s.client.CheckRedirect != nil)
	}
	if s.maxAttempts != DefaultMaxAttempts || s.base != DefaultBaseDelay || s.maxDelay != DefaultMaxDelay ||
		s.poll != DefaultPoll || s.concurrency != DefaultConcurrency || s.batch != DefaultBatch {
		t.Errorf("defaults %+v", s)
	}
	if _, err := s.DeliverOnce(t.Context()); err == nil {
		t.Error("DeliverOnce without an outbox: no error")
	}
	if err := s.Run(t.Context(), nil); err == nil {
		t.Error("Run without an outbox: no error")
	}
	own := &http.Client{Timeout: time.Minute}
	s = New(Config{Client: own})
	if own.CheckRedirect != nil || s.client.Timeout != time.Minute {
		t.Error("New changed the caller's client, or did not use it")
	}
}

func TestRun(t *testing.T) {
	rc := newReceiver(t, "k", func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	w := Webhook{ID: 1, URL: rc.srv.URL, Secret: "k"}
	out := newOutbox()
	delivered := make(chan Attempt, 1)
	out.onRecord = func(a Attempt) {
		if a.Done {
			delivered <- a
		}
	}
	// A long poll: only the wake signal and the retry's own time move it.
	s := New(Config{Outbox: out, BaseDelay: time.Millisecond, Poll: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	wake := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, wake) }()

	out.add(Deliveries(event("evt-1", time.Now()), []Webhook{w}, time.Now())...)
	wake <- struct{}{}
	select {
	case a := <-delivered:
		if a.Delivery != "evt-1:1" || a.N != 2 {
			t.Errorf("delivered %+v, want evt-1:1 at the second attempt", a)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("not delivered")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := len(rc.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
