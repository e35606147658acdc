package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds a token-bucket rate limiter per client (a user, or the
// address of a request that is not signed in). Clients idle for longer
// than idleAfter are forgotten, so the map stays as small as the set of
// active clients.
type limiters struct {
	rate  rate.Limit
	burst int

	mu        sync.Mutex
	byKey     map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long a client's limiter is kept without requests.
const idleAfter = 10 * time.Minute

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{rate: rate.Limit(perSecond), burst: burst, byKey: map[string]*limiterEntry{}}
}

// allow reports whether key may make a request at now, and counts it.
func (l *limiters) allow(key string, now time.Time) bool {
	if l.rate <= 0 {
		return true // no limit configured
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > idleAfter {
		for k, e := range l.byKey {
			if now.Sub(e.seen) > idleAfter {
				delete(l.byKey, k)
			}
		}
		l.lastSweep = now
	}
	e := l.byKey[key]
	if e == nil {
		e = &limiterEntry{lim: rate.NewLimiter(l.rate, l.burst)}
		l.byKey[key] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}
