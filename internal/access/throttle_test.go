package access

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// step is one call on a Throttle at t0+at: "fail", "ok" (Succeeded),
// "forgive" (Forgive),
// "wait" (Wait, expecting want) or "try" (Attempt, expecting want).
type step struct {
	op   string
	key  string
	at   time.Duration
	want time.Duration
}

func fails(key string, n int, at time.Duration) []step {
	var out []step
	for range n {
		out = append(out, step{"fail", key, at, 0})
	}
	return out
}

func steps(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestThrottle(t *testing.T) {
	cfg := ThrottleConfig{Free: 3, Window: 15 * time.Minute, Base: time.Second, Max: 5 * time.Minute, MaxKeys: 100}
	s := time.Second
	tests := []struct {
		name  string
		cfg   ThrottleConfig
		steps []step
	}{
		{"unknown key", cfg, []step{{"wait", "ana", 0, 0}}},
		{"free failures", cfg, steps(fails("ana", 2, 0), []step{{"wait", "ana", 0, 0}})},
		{"first delay after Free failures", cfg, steps(fails("ana", 3, 0), []step{
			{"wait", "ana", 0, s},
			{"wait", "ana", 400 * time.Millisecond, 600 * time.Millisecond},
			{"wait", "ana", s, 0},
			{"wait", "ana", time.Hour, 0},
		})},
		{"doubling", cfg, []step{
			{"fail", "ana", 0, 0}, {"fail", "ana", 0, 0}, {"fail", "ana", 0, 0},
			{"wait", "ana", 0, s},
			{"fail", "ana", 1 * s, 0}, {"wait", "ana", 1 * s, 2 * s},
			{"fail", "ana", 3 * s, 0}, {"wait", "ana", 3 * s, 4 * s},
			{"fail", "ana", 7 * s, 0}, {"wait", "ana", 7 * s, 8 * s},
			{"wait", "ana", 10 * s, 5 * s},
			{"fail", "ana", 15 * s, 0}, {"wait", "ana", 15 * s, 16 * s},
		}},
		{"capped at Max", cfg, steps(fails("ana", 11, 0), []step{
			{"wait", "ana", 0, 256 * s},
			{"fail", "ana", 0, 0},
			{"wait", "ana", 0, 5 * time.Minute},
		}, fails("ana", 100, 0), []step{{"wait", "ana", 0, 5 * time.Minute}})},
		{"keys are separate", cfg, steps(fails("user:ana", 3, 0), []step{
			{"wait", "user:ana", 0, s},
			{"wait", "user:bob", 0, 0},
			{"wait", "addr:192.0.2.7", 0, 0},
		})},
		{"success forgets", cfg, steps(fails("ana", 5, 0), []step{
			{"wait", "ana", 0, 4 * s},
			{"ok", "ana", 0, 0},
			{"wait", "ana", 0, 0},
			{"fail", "ana", 0, 0},
			{"wait", "ana", 0, 0},
			{"ok", "nobody", 0, 0},
		})},
		{"forgotten a window after the last failure", cfg, steps(fails("ana", 5, 0), []step{
			{"fail", "ana", 10 * time.Minute, 0},
			{"wait", "ana", 10*time.Minute + s, 7 * s},
			{"wait", "ana", 25*time.Minute - s, 0},
			{"fail", "ana", 25 * time.Minute, 0}, // the count starts again at 1
			{"wait", "ana", 25 * time.Minute, 0},
			{"fail", "ana", 25 * time.Minute, 0},
			{"fail", "ana", 25 * time.Minute, 0},
			{"wait", "ana", 25 * time.Minute, s},
		})},
		{"clock stepped back", cfg, steps(fails("ana", 4, time.Hour), []step{
			{"wait", "ana", 0, 2 * s}, // not an hour and two seconds
		})},
		{"attempt counts before the check", cfg, []step{
			{"try", "ana", 0, 0}, {"try", "ana", 0, 0}, {"try", "ana", 0, 0},
			{"try", "ana", 0, s}, // refused, and not counted
			{"try", "ana", 500 * time.Millisecond, 500 * time.Millisecond},
			{"wait", "ana", s, 0},
			{"try", "ana", s, 0},
			{"try", "ana", s, 2 * s},
			{"ok", "ana", s, 0},
			{"try", "ana", s, 0},
		}},
		{"forgiven attempts do not add up", cfg, []step{
			{"try", "addr", 0, 0}, {"forgive", "addr", 0, 0},
			{"try", "addr", 0, 0}, {"forgive", "addr", 0, 0},
			{"try", "addr", 0, 0}, {"forgive", "addr", 0, 0},
			{"try", "addr", 0, 0}, {"forgive", "addr", 0, 0},
			{"wait", "addr", 0, 0},
		}},
		{"forgiving one attempt keeps the other failures", cfg, steps(fails("addr", 3, 0), []step{
			{"try", "addr", s, 0}, {"forgive", "addr", s, 0},
			{"wait", "addr", s, s},
		})},
		{"Free 1", ThrottleConfig{Free: 1, Window: time.Hour, Base: 10 * time.Millisecond, Max: time.Minute, MaxKeys: 1}, []step{
			{"wait", "ana", 0, 0},
			{"fail", "ana", 0, 0},
			{"wait", "ana", 0, 10 * time.Millisecond},
			{"fail", "ana", 0, 0},
			{"wait", "ana", 0, 20 * time.Millisecond},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th, err := NewThrottle(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tc.steps {
				now := t0.Add(st.at)
				var got time.Duration
				switch st.op {
				case "fail":
					th.Failed(st.key, now)
					continue
				case "ok":
					th.Succeeded(st.key)
					continue
				case "forgive":
					th.Forgive(st.key)
					continue
				case "wait":
					got = th.Wait(st.key, now)
				case "try":
					got = th.Attempt(st.key, now)
				default:
					t.Fatalf("step %d: unknown op %q", i, st.op)
				}
				if got != st.want {
					t.Errorf("step %d: %s(%s) at +%v = %v, want %v", i, st.op, st.key, st.at, got, st.want)
				}
			}
		})
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	cfg := ThrottleConfig{Free: 1, Window: time.Hour, Base: time.Minute, Max: 30 * time.Minute, MaxKeys: 3}
	th, err := NewThrottle(cfg)
	if err != nil {
		t.Fatal(err)
	}
	th.Failed("a", t0)
	th.Failed("b", t0.Add(1*time.Second))
	th.Failed("c", t0.Add(2*time.Second))
	th.Failed("a", t0.Add(3*time.Second)) // a is now the most recent
	th.Failed("d", t0.Add(4*time.Second)) // pushes out b, the oldest
	now := t0.Add(5 * time.Second)
	for key, throttled := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := th.Wait(key, now) > 0; got != throttled {
			t.Errorf("%s throttled = %v, want %v", key, got, throttled)
		}
	}
	if n := len(th.keys); n != 3 || th.order.Len() != 3 {
		t.Errorf("%d keys, %d in order, want 3", n, th.order.Len())
	}

	// Many keys: never more than MaxKeys, and expired keys go first.
	cfg.MaxKeys = 1000
	th, _ = NewThrottle(cfg)
	for i := range 10_000 {
		th.Failed(fmt.Sprint("addr:", i), t0.Add(time.Duration(i)*time.Second))
		if len(th.keys) > cfg.MaxKeys {
			t.Fatalf("%d keys after %d failures", len(th.keys), i+1)
		}
	}
	// At +10000 s only the keys that failed in the last hour remain.
	th.Failed("last", t0.Add(10_000*time.Second))
	if n := len(th.keys); n != 1000 {
		t.Errorf("%d keys, want 1000", n)
	}
	th.Failed("later", t0.Add(20_000*time.Second))
	if n := len(th.keys); n != 1 || th.order.Len() != 1 {
		t.Errorf("%d keys after every other expired, want 1", n)
	}
}

func TestThrottleConcurrent(t *testing.T) {
	cfg := ThrottleConfig{Free: 5, Window: time.Hour, Base: time.Second, Max: time.Minute, MaxKeys: 1000}
	th, err := NewThrottle(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 100 simultaneous attempts on one key, while other keys come and go:
	// Attempt lets exactly Free through, and tells the rest to wait.
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := range 100 {
		wg.Go(func() {
			if th.Attempt("user:ana", t0) == 0 {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
			th.Failed(fmt.Sprint("addr:", i), t0)
			th.Wait("user:ana", t0)
			if i%10 == 0 {
				th.Succeeded(fmt.Sprint("addr:", i))
			}
		})
	}
	wg.Wait()
	if allowed != cfg.Free {
		t.Errorf("%d simultaneous attempts allowed, want %d", allowed, cfg.Free)
	}
	if len(th.keys) > cfg.MaxKeys {
		t.Errorf("%d keys, more than %d", len(th.keys), cfg.MaxKeys)
	}
}

func TestThrottleConfigValidate(t *testing.T) {
	if err := DefaultThrottleConfig().Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	tests := []struct {
		name    string
		change  func(*ThrottleConfig)
		wantErr string
	}{
		{"no free failures", func(c *ThrottleConfig) { c.Free = 0 }, "free failures"},
		{"zero base", func(c *ThrottleConfig) { c.Base = 0 }, "base delay"},
		{"max below base", func(c *ThrottleConfig) { c.Max = c.Base / 2 }, "longest delay"},
		{"window not above max", func(c *ThrottleConfig) { c.Window = c.Max }, "window"},
		{"no keys", func(c *ThrottleConfig) { c.MaxKeys = 0 }, "max keys"},
	}
	for _, tc := range tests {
		c := DefaultThrottleConfig()
		tc.change(&c)
		_, err := NewThrottle(c)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestThrottleDelayOverflow(t *testing.T) {
	th, err := NewThrottle(ThrottleConfig{Free: 1, Window: 1<<63 - 1, Base: 1, Max: 1<<63 - 2, MaxKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	for f := 1; f < 200; f++ {
		if d := th.delay(f); d <= 0 || d > th.cfg.Max {
			t.Fatalf("delay(%d) = %v", f, d)
		}
	}
}
