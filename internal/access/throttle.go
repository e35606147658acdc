package access

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ThrottleConfig says how a Throttle slows down repeated failed logins.
type ThrottleConfig struct {
	// Free is how many failures a key may have before its next attempt is
	// delayed: the attempt after the Free-th failure waits Base. At least 1.
	Free int
	// Window is how long a key's failures are remembered after its last
	// failure. It must be longer than Max, or an attacker who waits out the
	// longest delay would find the count forgotten.
	Window time.Duration
	// Base is the delay after the first failure beyond Free; each further
	// failure doubles it, up to Max.
	Base time.Duration
	// Max is the longest delay.
	Max time.Duration
	// MaxKeys bounds the keys remembered; past it, the key whose last failure
	// is the oldest is forgotten. Keys cost some tens of bytes each, so this
	// should be large: to push a key out early, an attacker must cause
	// MaxKeys newer failures, which the throttling of their own addresses
	// slows down.
	MaxKeys int
}

// DefaultThrottleConfig returns 5 failures without delay, then delays of
// 1 s, 2 s, 4 s … up to 5 minutes, forgotten after 15 minutes without a failure, for
// at most 100,000 keys.
func DefaultThrottleConfig() ThrottleConfig {
	return ThrottleConfig{Free: 5, Window: 15 * time.Minute, Base: time.Second, Max: 5 * time.Minute, MaxKeys: 100_000}
}

// Validate reports what is wrong with c, if anything.
func (c ThrottleConfig) Validate() error {
	var errs []error
	if c.Free < 1 {
		errs = append(errs, fmt.Errorf("free failures %d must be at least 1", c.Free))
	}
	if c.Base <= 0 {
		errs = append(errs, fmt.Errorf("base delay %v must be positive", c.Base))
	}
	if c.Max < c.Base {
		errs = append(errs, fmt.Errorf("longest delay %v is shorter than the base delay %v", c.Max, c.Base))
	}
	if c.Window <= c.Max {
		errs = append(errs, fmt.Errorf("window %v must be longer than the longest delay %v", c.Window, c.Max))
	}
	if c.MaxKeys < 1 {
		errs = append(errs, fmt.Errorf("max keys %d must be at least 1", c.MaxKeys))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	return nil
}

// Throttle slows down guessing of passwords. It counts failed logins for
// each key (throttle a user name and, separately, a remote address, with
// keys that cannot collide, such as "user:ana" and "addr:192.0.2.7"): after
// Free failures, the next attempt must wait Base after the last failure,
// and each further failure doubles the wait, up to Max. A key's count is forgotten Window
// after its last failure, on success, or when MaxKeys newer keys push it
// out. Times are passed in; the Throttle reads no clock.
//
// A Throttle is safe for concurrent use. A server uses Attempt, which
// checks and counts in one step, so that concurrent guesses cannot all pass
// the check before any failure is counted; Wait and Failed are the two
// halves, for callers that check and count separately.
type Throttle struct {
	cfg ThrottleConfig

	mu    sync.Mutex
	keys  map[string]*list.Element // of *throttleEntry
	order *list.List               // of *throttleEntry, least recently failed first
}

type throttleEntry struct {
	key      string
	failures int
	last     time.Time // of the last failure
}

// NewThrottle returns an empty Throttle, or an error if cfg is invalid.
func NewThrottle(cfg ThrottleConfig) (*Throttle, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Throttle{cfg: cfg, keys: map[string]*list.Element{}, order: list.New()}, nil
}

// Wait returns how long from now until key may attempt a login; 0 means now.
func (t *Throttle) Wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.wait(key, now)
}

// Failed records a failed login for key at now.
func (t *Throttle) Failed(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed(key, now)
}

// Attempt returns how long key must still wait, like Wait; when that is 0
// it also counts the attempt as failed, before the password is checked.
// The caller then checks the password and, if it is right, calls Succeeded;
// a refused attempt (non-zero wait) is not counted.
func (t *Throttle) Attempt(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w := t.wait(key, now); w > 0 {
		return w
	}
	t.failed(key, now)
	return 0
}

// Succeeded forgets key's failures, after a successful login. A caller that
// throttles remote addresses may prefer not to call it for the address, so
// that an attacker with one valid account cannot clear the address's count
// by logging in to it between guesses.
func (t *Throttle) Succeeded(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.keys[key]; ok {
		t.remove(el)
	}
}

// Forgive takes back the failure Attempt counted for key when the attempt
// succeeded. Unlike Succeeded it forgets no other failure, so a caller may
// use it for a remote address that many people share (an office, a proxy):
// their successful logins do not slow each other down, and an attacker's
// valid login clears none of their failed guesses.
func (t *Throttle) Forgive(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.keys[key]
	if !ok {
		return
	}
	e := el.Value.(*throttleEntry)
	if e.failures--; e.failures <= 0 {
		t.remove(el)
	}
}

func (t *Throttle) wait(key string, now time.Time) time.Duration {
	el, ok := t.keys[key]
	if !ok {
		return 0
	}
	e := el.Value.(*throttleEntry)
	if t.expired(e, now) {
		t.remove(el)
		return 0
	}
	d := t.delay(e.failures)
	// Clamp to [0, d], so a clock that stepped back cannot lock a key out
	// for longer than its delay.
	return min(max(e.last.Add(d).Sub(now), 0), d)
}

func (t *Throttle) failed(key string, now time.Time) {
	t.prune(now)
	if el, ok := t.keys[key]; ok {
		e := el.Value.(*throttleEntry)
		if t.expired(e, now) {
			e.failures = 0
		}
		e.failures++
		e.last = now
		t.order.MoveToBack(el)
		return
	}
	for t.order.Len() >= t.cfg.MaxKeys {
		t.remove(t.order.Front())
	}
	t.keys[key] = t.order.PushBack(&throttleEntry{key: key, failures: 1, last: now})
}

// prune forgets the expired keys at the front of the order. (With times
// that do not go back, every expired key is at the front.)
func (t *Throttle) prune(now time.Time) {
	for el := t.order.Front(); el != nil && t.expired(el.Value.(*throttleEntry), now); el = t.order.Front() {
		t.remove(el)
	}
}

func (t *Throttle) remove(el *list.Element) {
	delete(t.keys, el.Value.(*throttleEntry).key)
	t.order.Remove(el)
}

func (t *Throttle) expired(e *throttleEntry, now time.Time) bool {
	return now.Sub(e.last) >= t.cfg.Window
}

// delay returns the wait after the given number of failures.
func (t *Throttle) delay(failures int) time.Duration {
	if failures < t.cfg.Free {
		return 0
	}
	d := t.cfg.Base
	for i := t.cfg.Free; i < failures; i++ {
		if d >= t.cfg.Max-d { // 2d >= Max, without overflow
			return t.cfg.Max
		}
		d *= 2
	}
	return min(d, t.cfg.Max)
}
