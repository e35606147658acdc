package notify

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// The defaults of a Sender.
const (
	// DefaultTimeout bounds one request of the default client.
	DefaultTimeout = 10 * time.Second
	// DefaultPoll is the longest Run waits between two looks at the outbox,
	// so that it sees deliveries another process scheduled.
	DefaultPoll = time.Second
	// DefaultConcurrency is how many webhooks are delivered to at once.
	DefaultConcurrency = 4
	// DefaultBatch is how many due deliveries one pass takes.
	DefaultBatch = 100
)

const (
	// recordTimeout bounds recording an attempt made before a shutdown.
	recordTimeout = 5 * time.Second
	// snippetLen is how much of a refusal's body goes into Attempt.Error.
	snippetLen = 200
	// drainLen is how much of an answer is read so that the connection can
	// be reused.
	drainLen = 64 << 10
)

// Outbox is the store's queue of deliveries and its delivery log. Its
// methods are called from several goroutines at once.
type Outbox interface {
	// Due returns at most limit deliveries due at now (NextAt not after
	// now), neither delivered nor given up, the earliest due first, each
	// with its webhook as currently registered. It should leave out those
	// of disabled webhooks; a Sender closes any it is given without sending.
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// Record appends a to the delivery log and updates its delivery:
	// Attempts becomes a.N and NextAt next. next is zero when the delivery
	// is done or given up, and the delivery then leaves the queue.
	Record(ctx context.Context, a Attempt, next time.Time) error
}

// Config configures a Sender. Only Outbox is required.
type Config struct {
	Outbox Outbox
	// Client makes the requests; nil means one with DefaultTimeout. The
	// Sender uses a copy that never follows redirects.
	Client *http.Client
	// Now is the clock, safe for concurrent use; nil means time.Now.
	Now func() time.Time
	// Rand returns numbers in [0, 1) for the jitter; nil means math/rand/v2.
	Rand func() float64
	// MaxAttempts is the number of attempts before giving up;
	// DefaultMaxAttempts when not positive.
	MaxAttempts int
	// BaseDelay and MaxDelay shape Backoff; their defaults when not positive.
	BaseDelay, MaxDelay time.Duration
	// Poll is the longest Run waits between passes; DefaultPoll when not
	// positive.
	Poll time.Duration
	// Concurrency is how many webhooks are delivered to at once;
	// DefaultConcurrency when not positive.
	Concurrency int
	// Batch is the most deliveries one pass takes; DefaultBatch when not
	// positive.
	Batch int
	// Logger receives a line per failed attempt; nil discards.
	Logger *slog.Logger
}

// Sender takes due deliveries from an Outbox, posts them and records every
// attempt. Run one Sender per outbox.
type Sender struct {
	out         Outbox
	client      *http.Client
	now         func() time.Time
	maxAttempts int
	base        time.Duration
	maxDelay    time.Duration
	poll        time.Duration
	concurrency int
	batch       int
	log         *slog.Logger

	randMu sync.Mutex // guards rand, which the caller may not have made safe
	rand   func() float64

	mu      sync.Mutex
	soonest time.Time // the earliest retry this Sender scheduled that is not yet due
}

// New returns a Sender configured by cfg, with defaults for what cfg leaves
// out.
func New(cfg Config) *Sender {
	client := http.Client{Timeout: DefaultTimeout}
	if cfg.Client != nil {
		client = *cfg.Client
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s := &Sender{
		out:         cfg.Outbox,
		client:      &client,
		now:         cfg.Now,
		rand:        cfg.Rand,
		maxAttempts: cfg.MaxAttempts,
		base:        cfg.BaseDelay,
		maxDelay:    cfg.MaxDelay,
		poll:        cfg.Poll,
		concurrency: cfg.Concurrency,
		batch:       cfg.Batch,
		log:         cfg.Logger,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = DefaultMaxAttempts
	}
	if s.base <= 0 {
		s.base = DefaultBaseDelay
	}
	if s.maxDelay <= 0 {
		s.maxDelay = DefaultMaxDelay
	}
	if s.poll <= 0 {
		s.poll = DefaultPoll
	}
	if s.concurrency <= 0 {
		s.concurrency = DefaultConcurrency
	}
	if s.batch <= 0 {
		s.batch = DefaultBatch
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// errNoOutbox is returned by a Sender built without an Outbox.
var errNoOutbox = errors.New("notify: no outbox")

// Run delivers until ctx is done, then returns nil. After each pass it waits
// for the earliest retry it scheduled, a signal on wake (send one after
// enqueueing deliveries; nil never signals), or the poll interval, whichever
// comes first; a pass that took a full batch is followed by another at once.
// Errors of the outbox are logged and the pass is tried again after the poll
// interval, so that a passing failure of the store does not stop delivery.
func (s *Sender) Run(ctx context.Context, wake <-chan struct{}) error {
	if s.out == nil {
		return errNoOutbox
	}
	for {
		_, full, err := s.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := s.poll
		switch {
		case err != nil:
			s.log.Error("notify: delivering webhooks", "error", err)
		case full:
			continue
		default:
			s.mu.Lock()
			soonest := s.soonest
			s.mu.Unlock()
			if !soonest.IsZero() {
				wait = min(wait, max(soonest.Sub(s.now()), 0))
			}
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// DeliverOnce makes one pass: it takes the deliveries due now and makes an
// attempt at each, different webhooks concurrently, one webhook's deliveries
// one after the other, oldest event first. After a failure the rest of that
// webhook's deliveries wait for the next pass. It returns the number of
// attempts recorded. An attempt cut short because ctx is done is not
// recorded; an attempt that was made is recorded even then.
func (s *Sender) DeliverOnce(ctx context.Context) (int, error) {
	n, _, err := s.pass(ctx)
	return n, err
}

// pass is DeliverOnce, also reporting whether Due returned a full batch.
func (s *Sender) pass(ctx context.Context) (int, bool, error) {
	if s.out == nil {
		return 0, false, errNoOutbox
	}
	now := s.now()
	s.mu.Lock()
	if !s.soonest.After(now) {
		s.soonest = time.Time{}
	}
	s.mu.Unlock()
	due, err := s.out.Due(ctx, now, s.batch)
	if err != nil {
		return 0, false, fmt.Errorf("notify: due deliveries: %w", err)
	}
	full := len(due) >= s.batch

	var hooks [][]Delivery
	index := make(map[int64]int)
	for _, d := range due {
		i, ok := index[d.Webhook.ID]
		if !ok {
			i = len(hooks)
			index[d.Webhook.ID] = i
			hooks = append(hooks, nil)
		}
		hooks[i] = append(hooks[i], d)
	}

	var (
		mu    sync.Mutex
		count int
		errs  []error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, s.concurrency)
	)
	for _, ds := range hooks {
		slices.SortStableFunc(ds, func(a, b Delivery) int {
			return cmp.Or(a.Event.At.Compare(b.Event.At), cmp.Compare(a.Event.ID, b.Event.ID))
		})
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, d := range ds {
				recorded, delivered, err := s.deliver(ctx, d)
				mu.Lock()
				if recorded {
					count++
				}
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if !delivered || err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("notify: delivering: %w", err))
	}
	return count, full, errors.Join(errs...)
}

// deliver makes one attempt at d and records it. It reports whether the
// attempt was recorded and whether d was delivered.
func (s *Sender) deliver(ctx context.Context, d Delivery) (recorded, delivered bool, err error) {
	a := Attempt{
		Delivery:  d.ID,
		Webhook:   d.Webhook.ID,
		Event:     d.Event.ID,
		EventType: d.Event.Type,
		N:         d.Attempts + 1,
		At:        s.now(),
	}
	if !Wants(d.Webhook, d.Event.Type) {
		a.GaveUp = true
		a.Error = "webhook disabled"
		if !d.Webhook.Disabled {
			a.Error = "webhook no longer wants " + d.Event.Type
		}
		return s.record(ctx, a, time.Time{})
	}
	body, err := Body(d.Event)
	if err != nil {
		// The event will not change: retrying cannot help.
		a.GaveUp = true
		a.Error = err.Error()
		return s.record(ctx, a, time.Time{})
	}

	start := time.Now()
	status, err := s.post(ctx, d, body)
	a.Duration = time.Since(start)
	a.Status = status
	if err != nil && ctx.Err() != nil {
		// Cut short by our own shutdown, not the receiver's doing.
		return false, false, nil
	}
	var next time.Time
	switch {
	case err == nil:
		a.Done = true
	case a.N >= s.maxAttempts:
		a.Error = err.Error()
		a.GaveUp = true
	default:
		a.Error = err.Error()
		next = s.now().Add(Backoff(a.N, s.base, s.maxDelay, s.jitter()))
	}
	return s.record(ctx, a, next)
}

// post sends body for d and returns the status of the answer (0 when there
// was none) and, unless it was a 2xx, why the attempt failed. Errors leave
// out the URL, which may hold a credential.
func (s *Sender) post(ctx context.Context, d Delivery, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("invalid webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEvent, d.Event.Type)
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderSignature, Sign([]byte(d.Webhook.Secret), body))
	resp, err := s.client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, snippetLen))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLen))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return code, nil
	case code >= 300 && code < 400:
		return code, fmt.Errorf("status %d: redirect not followed", code)
	default:
		if text := clean(snippet); text != "" {
			return code, fmt.Errorf("status %d: %s", code, text)
		}
		return code, fmt.Errorf("status %d", code)
	}
}

// clean makes the start of a receiver's answer fit for the delivery log: valid
// UTF-8 on one line, without control characters.
func clean(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// record records a and logs it. Once an attempt was made it is recorded even
// if ctx is done, so that a shutdown does not lose what a receiver saw.
func (s *Sender) record(ctx context.Context, a Attempt, next time.Time) (recorded, delivered bool, err error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.out.Record(rctx, a, next); err != nil {
		return false, a.Done, fmt.Errorf("notify: recording attempt %d of delivery %s: %w", a.N, a.Delivery, err)
	}
	if !next.IsZero() {
		s.mu.Lock()
		if s.soonest.IsZero() || next.Before(s.soonest) {
			s.soonest = next
		}
		s.mu.Unlock()
	}
	attrs := []any{"delivery", a.Delivery, "webhook", a.Webhook, "event_type", a.EventType, "attempt", a.N, "status", a.Status}
	switch {
	case a.Done:
		s.log.Debug("notify: delivered", attrs...)
	case a.GaveUp:
		s.log.Error("notify: gave up on delivery", append(attrs, "error", a.Error)...)
	default:
		s.log.Warn("notify: delivery failed", append(attrs, "error", a.Error, "next", next)...)
	}
	return true, a.Done, nil
}

// jitter draws the jitter of one delay.
func (s *Sender) jitter() float64 {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return s.rand()
}
