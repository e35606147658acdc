package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

func TestSign(t *testing.T) {
	// RFC 4231, test case 2.
	const rfc = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got := Sign([]byte("Jefe"), []byte("what do ya want for nothing?")); got != rfc {
		t.Errorf("Sign(RFC 4231 case 2) = %s, want %s", got, rfc)
	}
	secret, body := []byte("s3cr3t"), []byte(`{"id":"evt-1"}`)
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if got, want := Sign(secret, body), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret, body := []byte("s3cr3t"), []byte(`{"id":"evt-1"}`)
	good := Sign(secret, body)
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   bool
	}{
		{"the signature", secret, body, good, true},
		{"upper-case hex", secret, body, "sha256=" + upper(good[len("sha256="):]), true},
		{"another secret", []byte("other"), body, good, false},
		{"another body", secret, []byte(`{"id":"evt-2"}`), good, false},
		{"no prefix", secret, body, good[len("sha256="):], false},
		{"another algorithm", secret, body, "sha1=" + good[len("sha256="):], false},
		{"truncated", secret, body, good[:len(good)-2], false},
		{"not hex", secret, body, "sha256=" + string(make([]byte, 64)), false},
		{"empty", secret, body, "", false},
		{"prefix only", secret, body, "sha256=", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Verify(tc.secret, tc.body, tc.header); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name      string
		attempt   int
		base, max time.Duration
		jitter    float64
		want      time.Duration
	}{
		{"first", 1, 0, 0, 0.5, time.Second},
		{"second", 2, 0, 0, 0.5, 2 * time.Second},
		{"third", 3, 0, 0, 0.5, 4 * time.Second},
		{"tenth", 10, 0, 0, 0.5, 512 * time.Second},
		{"twelfth", 12, 0, 0, 0.5, 2048 * time.Second},
		{"capped at an hour", 13, 0, 0, 0.5, time.Hour},
		{"far beyond", 1000, 0, 0, 0.5, time.Hour},
		{"attempt 0 counts as 1", 0, 0, 0, 0.5, time.Second},
		{"lowest jitter", 1, 0, 0, 0, 800 * time.Millisecond},
		{"low jitter", 3, 0, 0, 0.25, 3600 * time.Millisecond},
		{"high jitter", 3, 0, 0, 0.75, 4400 * time.Millisecond},
		{"jitter never above the cap", 20, 0, 0, 0.99, time.Hour},
		{"jitter below the cap", 20, 0, 0, 0, 48 * time.Minute},
		{"jitter out of range", 2, 0, 0, 1.5, 2 * time.Second},
		{"own base", 3, 100 * time.Millisecond, time.Minute, 0.5, 400 * time.Millisecond},
		{"own cap", 10, time.Second, 10 * time.Second, 0.5, 10 * time.Second},
		{"huge cap", 200, time.Second, time.Duration(1<<63 - 1), 0.5, time.Duration(1<<63 - 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Backoff(tc.attempt, tc.base, tc.max, tc.jitter); got != tc.want {
				t.Errorf("Backoff(%d, %v, %v, %v) = %v, want %v", tc.attempt, tc.base, tc.max, tc.jitter, got, tc.want)
			}
		})
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	for n := 1; n <= 14; n++ {
		mid := Backoff(n, 0, 0, 0.5)
		for j := 0.0; j < 1; j += 0.01 {
			d := Backoff(n, 0, 0, j)
			lo := time.Duration(float64(mid) * (1 - Jitter))
			hi := time.Duration(float64(mid) * (1 + Jitter))
			if d < lo || d > hi || d > DefaultMaxDelay {
				t.Fatalf("Backoff(%d, jitter %.2f) = %v, outside [%v, %v] or above the cap", n, j, d, lo, hi)
			}
		}
	}
}

func TestBody(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 30, 0, 500, time.FixedZone("EET", 2*3600))
	tests := []struct {
		name    string
		ev      Event
		want    string
		wantErr bool
	}{
		{"data compacted, time in UTC",
			Event{ID: "evt-1", Type: ObligationCreated, At: at, Data: json.RawMessage(`{ "obligation": "ob-7",  "deadline": "2026-11-28" }`)},
			`{"id":"evt-1","type":"obligation.created","at":"2026-11-21T08:30:00.0000005Z","data":{"obligation":"ob-7","deadline":"2026-11-28"}}`, false},
		{"no data",
			Event{ID: "evt-2", Type: ActivationProposed, At: t0},
			`{"id":"evt-2","type":"activation.proposed","at":"2026-11-21T08:00:00Z","data":null}`, false},
		{"data not JSON", Event{ID: "evt-3", Type: ActivationProposed, At: t0, Data: json.RawMessage(`{`)}, "", true},
		{"no id", Event{Type: ActivationProposed, At: t0}, "", true},
		{"no type", Event{ID: "evt-4", At: t0}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Body(tc.ev)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Body = %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Body =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		name string
		w    Webhook
		typ  string
		want bool
	}{
		{"all events", Webhook{}, ObligationEscalated, true},
		{"named", Webhook{Events: []string{ObligationCreated, ObligationEscalated}}, ObligationEscalated, true},
		{"not named", Webhook{Events: []string{ObligationCreated}}, ActivationProposed, false},
		{"disabled", Webhook{Disabled: true}, ObligationCreated, false},
		{"disabled though named", Webhook{Events: []string{ObligationCreated}, Disabled: true}, ObligationCreated, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Wants(tc.w, tc.typ); got != tc.want {
				t.Errorf("Wants = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeliveries(t *testing.T) {
	ev := Event{ID: "evt-9", Type: ActivationDetermined, At: t0}
	all := Webhook{ID: 1, URL: "https://a.example/hook"}
	named := Webhook{ID: 2, URL: "https://b.example/hook", Events: []string{ActivationDetermined}}
	other := Webhook{ID: 3, URL: "https://c.example/hook", Events: []string{ObligationCreated}}
	off := Webhook{ID: 4, URL: "https://d.example/hook", Disabled: true}
	tests := []struct {
		name  string
		hooks []Webhook
		want  []string
	}{
		{"none registered", nil, nil},
		{"those that want it", []Webhook{all, named, other, off}, []string{"evt-9:1", "evt-9:2"}},
		{"in the order given", []Webhook{named, all}, []string{"evt-9:2", "evt-9:1"}},
		{"listed twice, once", []Webhook{all, all}, []string{"evt-9:1"}},
		{"disabled gets none", []Webhook{off}, nil},
		{"not wanting gets none", []Webhook{other}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := Deliveries(ev, tc.hooks, t0)
			var ids []string
			for _, d := range ds {
				ids = append(ids, d.ID)
				if d.ID != DeliveryID(ev.ID, d.Webhook.ID) || d.Event.ID != ev.ID || !d.NextAt.Equal(t0) || d.Attempts != 0 {
					t.Errorf("delivery %+v", d)
				}
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("deliveries %v, want %v", ids, tc.want)
			}
		})
	}
}
