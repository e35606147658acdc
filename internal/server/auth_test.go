package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestUnauthenticated checks that without credentials only the health
// endpoint, sign-in and the public checkpoint and key answer, and that the
// refusal says how to authenticate without echoing what was sent.
func TestUnauthenticated(t *testing.T) {
	a := newAPI(t, withLogKey(t))
	if _, err := a.srv.IssueCheckpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	anon := a.as("")
	for _, r := range a.srv.routes() {
		path := strings.ReplaceAll(r.pattern, "{id}", "x")
		res := anon.do(r.method, path, "application/json", []byte("{}"))
		switch r.perm {
		case public:
			if res.status == 401 || res.status == 403 {
				t.Errorf("%s %s is public but answered %d", r.method, path, res.status)
			}
		default:
			if res.status != 401 || res.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s without credentials: %d (WWW-Authenticate %q), want 401 with a challenge", r.method, path, res.status, res.header.Get("WWW-Authenticate"))
			}
		}
	}
	secret := "gtr_this-is-not-a-valid-token-but-it-is-secret"
	for _, h := range []string{"Bearer " + secret, "Basic " + secret, secret, "Bearer"} {
		req, _ := http.NewRequest("GET", a.url+"/api/v1/observations", nil)
		req.Header.Set("Authorization", h)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 401 || bytes.Contains(body, []byte(secret)) || bytes.Contains(body, []byte("this-is-not")) {
			t.Errorf("Authorization %q: %d %s; want 401 that does not echo the credential", h, res.StatusCode, body)
		}
	}
}

// TestTokensRevokedAndDisabled checks that a revoked token and a disabled
// user's token stop working at once.
func TestTokensRevokedAndDisabled(t *testing.T) {
	a := newAPI(t)
	tok := a.newUser("sensor-7", "GBR", label.Restricted, access.Ingest)
	feed := a.as(tok)
	if res := feed.do("POST", "/api/v1/observations", "application/x-ndjson", ndjson(t, storetest.Obs("t-1", 37, 48, 0))); res.status != 200 {
		t.Fatalf("ingest with a token: %d %s", res.status, res.body)
	}
	// The ingest role may add records but not read them.
	if res := feed.do("GET", "/api/v1/observations", "", nil); res.status != 403 {
		t.Errorf("ingest token reading observations: %d, want 403", res.status)
	}
	ctx := context.Background()
	if err := a.store.SetUserDisabled(ctx, "sensor-7", true); err != nil {
		t.Fatal(err)
	}
	if res := feed.do("POST", "/api/v1/observations", "application/x-ndjson", ndjson(t, storetest.Obs("t-2", 37, 48, 0))); res.status != 403 {
		t.Errorf("token of a disabled user: %d, want 403", res.status)
	}
	if err := a.store.SetUserDisabled(ctx, "sensor-7", false); err != nil {
		t.Fatal(err)
	}
	toks, err := a.store.ListTokens(ctx, "sensor-7")
	if err != nil || len(toks) != 1 {
		t.Fatal(toks, err)
	}
	if err := a.store.RevokeToken(ctx, toks[0].ID); err != nil {
		t.Fatal(err)
	}
	if res := feed.do("POST", "/api/v1/observations", "application/x-ndjson", ndjson(t, storetest.Obs("t-3", 37, 48, 0))); res.status != 401 {
		t.Errorf("revoked token: %d, want 401", res.status)
	}
}

// browser is an HTTP client with a cookie jar, as a browser is.
type browser struct {
	t    *testing.T
	a    *api
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, a *api) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, a: a, c: &http.Client{Jar: jar}}
}

func (b *browser) do(method, path, contentType string, body []byte, csrf string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.a.url+path, bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if csrf != "" {
		req.Header.Set(CSRFHeader, csrf)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	b.a.checkAgainstDoc(req, res, got)
	return response{status: res.StatusCode, header: res.Header, body: got}
}

func (b *browser) login(name, password string) response {
	body, _ := json.Marshal(loginRequest{Name: name, Password: password})
	res := b.do("POST", "/api/v1/session", "application/json", body, "")
	if res.status == 200 {
		var s sessionJSON
		res.json(b.t, &s)
		b.csrf = s.CSRFToken
	}
	return res
}

// addPasswordUser adds a user who signs in with a password.
func addPasswordUser(t *testing.T, a *api, name, password string, roles ...access.Role) {
	hash, err := access.HashPassword(password, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u := access.User{Name: name, Nation: "FRA", Clearance: label.Restricted, Roles: roles, CreatedAt: now}
	if err := a.store.AddUser(context.Background(), u, hash); err != nil {
		t.Fatal(err)
	}
}

// TestSessions signs in with a password, uses the session with and without
// its CSRF token, and signs out.
func TestSessions(t *testing.T) {
	a := newAPI(t)
	addPasswordUser(t, a, "marie", "correct horse battery", access.Analyst)
	b := newBrowser(t, a)
	if res := b.login("marie", "wrong password!!"); res.status != 401 {
		t.Fatalf("wrong password: %d, want 401", res.status)
	}
	if res := b.login("nobody", "correct horse battery"); res.status != 401 {
		t.Fatalf("unknown user: %d, want 401", res.status)
	}
	res := b.login("marie", "correct horse battery")
	if res.status != 200 || b.csrf == "" {
		t.Fatalf("sign in: %d %s", res.status, res.body)
	}
	cookie := res.header.Get("Set-Cookie")
	for _, want := range []string{SessionCookie + "=gts_", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %q", cookie, want)
		}
	}
	if res := b.do("GET", "/api/v1/session", "", nil, ""); res.status != 200 || !bytes.Contains(res.body, []byte(`"marie"`)) {
		t.Errorf("GET session: %d %s", res.status, res.body)
	}
	obs := ndjson(t, storetest.Obs("s-1", 37, 48, 0))
	if res := b.do("POST", "/api/v1/observations", "application/x-ndjson", obs, ""); res.status != 403 || !bytes.Contains(res.body, []byte(CSRFHeader)) {
		t.Errorf("POST with a session and no CSRF token: %d %s, want 403 naming the header", res.status, res.body)
	}
	if res := b.do("POST", "/api/v1/observations", "application/x-ndjson", obs, "wrong"); res.status != 403 {
		t.Errorf("POST with a wrong CSRF token: %d, want 403", res.status)
	}
	if res := b.do("POST", "/api/v1/observations", "application/x-ndjson", obs, b.csrf); res.status != 200 {
		t.Errorf("POST with the CSRF token: %d %s", res.status, res.body)
	}
	if res := b.do("GET", "/api/v1/observations/s-1", "", nil, ""); res.status != 200 {
		t.Errorf("GET with the session: %d", res.status)
	}
	if res := b.do("DELETE", "/api/v1/session", "", nil, b.csrf); res.status != 204 {
		t.Fatalf("sign out: %d %s", res.status, res.body)
	}
	if res := b.do("GET", "/api/v1/session", "", nil, ""); res.status != 401 {
		t.Errorf("after signing out: %d, want 401", res.status)
	}
	// A session stolen before sign-out is dead too: the jar dropped the
	// cookie, so send it by hand.
	b2 := newBrowser(t, a)
	b2.login("marie", "correct horse battery")
	var stolen string
	for _, c := range b2.c.Jar.Cookies(mustURL(t, a.url)) {
		if c.Name == SessionCookie {
			stolen = c.Value
		}
	}
	b2.do("DELETE", "/api/v1/session", "", nil, b2.csrf)
	req, _ := http.NewRequest("GET", a.url+"/api/v1/session", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: stolen})
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("an ended session's cookie: %v %v, want 401", res.StatusCode, err)
	}
}

// TestLoginSlowedDown fails to sign in repeatedly and checks that further
// attempts are refused with Retry-After, even with the right password, until
// the wait has passed.
func TestLoginSlowedDown(t *testing.T) {
	c := &clock{t: now}
	a := newAPI(t, func(cfg *Config) { cfg.Now = c.now })
	addPasswordUser(t, a, "jan", "the right password", access.Viewer)
	b := newBrowser(t, a)
	free := access.DefaultThrottleConfig().Free
	for i := range free {
		if res := b.login("jan", "a wrong password"); res.status != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, res.status)
		}
	}
	res := b.login("jan", "the right password")
	if res.status != 429 || res.header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures: %d (Retry-After %q), want 429 with Retry-After", free, res.status, res.header.Get("Retry-After"))
	}
	c.advance(access.DefaultThrottleConfig().Base + time.Second)
	if res := b.login("jan", "the right password"); res.status != 200 {
		t.Errorf("after the wait: %d %s, want 200", res.status, res.body)
	}
}

// TestSharedAddressNotSlowed signs in many times from one address, as the
// users behind an office's proxy do: successful sign-ins do not slow the
// next one down, while failures still count.
func TestSharedAddressNotSlowed(t *testing.T) {
	a := newAPI(t)
	addPasswordUser(t, a, "jan", "the right password", access.Viewer)
	b := newBrowser(t, a)
	for i := range 3 * access.DefaultThrottleConfig().Free {
		if res := b.login("jan", "the right password"); res.status != 200 {
			t.Fatalf("sign-in %d from one address: %d %s", i+1, res.status, res.body)
		}
	}
}

// TestRateLimit checks that a client over its rate is refused with 429
// and served again once its bucket refills.
func TestRateLimit(t *testing.T) {
	c := &clock{t: now}
	a := newAPI(t, func(cfg *Config) { cfg.Now, cfg.RateLimit, cfg.RateBurst = c.now, 1, 3 })
	for i := range 3 {
		if res := a.do("GET", "/api/v1/session", "", nil); res.status != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, res.status)
		}
	}
	if res := a.do("GET", "/api/v1/session", "", nil); res.status != 429 || res.header.Get("Retry-After") == "" {
		t.Fatalf("over the rate: %d, want 429 with Retry-After", res.status)
	}
	// Another user has their own budget.
	other := a.as(a.newUser("other", "GBR", label.Public, access.Viewer))
	if res := other.do("GET", "/api/v1/session", "", nil); res.status != 200 {
		t.Errorf("another user: %d, want 200", res.status)
	}
	c.advance(2 * time.Second)
	if res := a.do("GET", "/api/v1/session", "", nil); res.status != 200 {
		t.Errorf("after the bucket refilled: %d, want 200", res.status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
