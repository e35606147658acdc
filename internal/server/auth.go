package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// Who may call a route: nobody needs to be signed in (public), anyone
// signed in (signedIn), or a user whose roles grant a permission.
const (
	public   access.Permission = "public"
	signedIn access.Permission = "signed_in"
)

// SessionCookie is the name of the cookie that carries a browser session.
const SessionCookie = "guarantor_session"

// CSRFHeader is the header in which a browser echoes its session's CSRF
// token on every request that changes something.
const CSRFHeader = "X-CSRF-Token"

// DefaultSessionLifetime is how long a browser session lasts.
const DefaultSessionLifetime = 12 * time.Hour

// principalKey is the context key of the signed-in user.
type principalKey struct{}

// principal is who makes a request, and through which session if any.
type principal struct {
	user    access.User
	session *store.Session // nil when signed in with a token
}

// who returns the signed-in user of a request that passed guard.
func who(r *http.Request) principal {
	p, _ := r.Context().Value(principalKey{}).(principal)
	return p
}

// visibility is what the request's user may see.
func (s *Server) visibility(r *http.Request) *label.Visibility {
	u := who(r).user
	v := s.cfg.Scheme.VisibilityFor(u.Nation, u.Clearance)
	return &v
}

// errUnauthenticated means that no valid credentials came with a request.
var errUnauthenticated = errors.New("unauthenticated")

// authenticate finds the user of a request from its bearer token or its
// session cookie. An error wrapping errUnauthenticated says why the
// credentials were refused, without echoing them.
func (s *Server) authenticate(r *http.Request) (principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return principal{}, fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", errUnauthenticated)
		}
		_, u, err := s.cfg.Store.TokenUser(r.Context(), access.TokenHash(strings.TrimSpace(tok)))
		if errors.Is(err, store.ErrNotFound) {
			return principal{}, fmt.Errorf("%w: the token is not valid (unknown or revoked)", errUnauthenticated)
		}
		if err != nil {
			return principal{}, err
		}
		return principal{user: u}, nil
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		sess, u, err := s.cfg.Store.Session(r.Context(), access.TokenHash(c.Value), s.now())
		if errors.Is(err, store.ErrNotFound) {
			return principal{}, fmt.Errorf("%w: the session has expired or ended; sign in again", errUnauthenticated)
		}
		if err != nil {
			return principal{}, err
		}
		return principal{user: u, session: &sess}, nil
	}
	return principal{}, fmt.Errorf("%w: sign in, or send an API token as \"Authorization: Bearer <token>\"", errUnauthenticated)
}

// guard wraps a route's handler with what every request to it must pass:
// the rate limit, then (unless the route is public) authentication, the
// account being enabled, the CSRF token of a session for a request that
// changes something, and the route's permission.
func (s *Server) guard(perm access.Permission, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if perm == public {
			if !s.allow(w, "addr:"+remoteHost(r)) {
				return
			}
			next(w, r)
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			if !errors.Is(err, errUnauthenticated) {
				s.storeError(w, r, "credentials", err)
				return
			}
			if !s.allow(w, "addr:"+remoteHost(r)) {
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="guarantor"`)
			writeError(w, http.StatusUnauthorized, "%s", strings.TrimPrefix(err.Error(), errUnauthenticated.Error()+": "))
			return
		}
		if !s.allow(w, "user:"+p.user.Name) {
			return
		}
		if p.user.Disabled {
			writeError(w, http.StatusForbidden, "the account %q is disabled", p.user.Name)
			return
		}
		if p.session != nil && !safeMethod(r.Method) && !access.EqualTokens(r.Header.Get(CSRFHeader), p.session.CSRF) {
			writeError(w, http.StatusForbidden, "a request from a browser session must carry the session's CSRF token in the %s header", CSRFHeader)
			return
		}
		if perm != signedIn && !access.Allowed(p.user.Roles, perm) {
			writeError(w, http.StatusForbidden, "the roles of %q (%s) do not allow %s", p.user.Name, joinRoles(p.user.Roles), perm)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func joinRoles(roles []access.Role) string {
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = string(r)
	}
	return strings.Join(parts, ", ")
}

// remoteHost is the address a request came from, without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allow applies the rate limit of key, answering 429 when it is exceeded.
func (s *Server) allow(w http.ResponseWriter, key string) bool {
	if s.limits.allow(key, s.now()) {
		return true
	}
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusTooManyRequests, "too many requests; slow down (at most %g a second)", s.cfg.RateLimit)
	return false
}

// loginRequest is the body of POST /api/v1/session.
type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// sessionJSON describes the signed-in user and, for a browser session, the
// CSRF token to echo and when the session ends.
type sessionJSON struct {
	User      access.User `json:"user"`
	CSRFToken string      `json:"csrf_token,omitempty"`
	ExpiresAt *time.Time  `json:"expires_at,omitempty"`
}

// login signs a user in with name and password and starts a browser
// session. Repeated failures for a name, or from an address, are slowed
// down (see access.Throttle): the answer is then 429 with Retry-After.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Name == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, `the body must be {"name": "...", "password": "..."}`)
		return
	}
	now := s.now()
	for _, key := range []string{"user:" + req.Name, "addr:" + remoteHost(r)} {
		if wait := s.throttle.Attempt(key, now); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
			writeError(w, http.StatusTooManyRequests, "too many failed sign-ins; try again in %s", wait.Round(time.Second))
			return
		}
	}
	u, hash, err := s.cfg.Store.User(r.Context(), req.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.storeError(w, r, "user", err)
		return
	}
	if hash == "" {
		// No such user, or a machine client without a password: verify a
		// hash anyway, so that a wrong name takes as long as a wrong
		// password and names cannot be probed.
		hash = s.dummyHash
	}
	ok, verr := access.VerifyPassword(hash, req.Password)
	if err != nil || verr != nil || !ok || u.Disabled {
		if verr != nil {
			s.log.Error("stored password hash", "user", req.Name, "err", verr)
		}
		writeError(w, http.StatusUnauthorized, "wrong name or password, or the account is disabled")
		return
	}
	s.throttle.Succeeded("user:" + req.Name)
	// The address may be shared by many users: its count keeps failures
	// only.
	s.throttle.Forgive("addr:" + remoteHost(r))
	id, err := access.NewSessionID(rand.Reader)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "could not start a session")
		return
	}
	csrf, err := access.NewCSRFToken(rand.Reader)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "could not start a session")
		return
	}
	sess := store.Session{Hash: access.TokenHash(id), User: u.Name, CSRF: csrf, CreatedAt: now.UTC(), ExpiresAt: now.Add(s.cfg.SessionLifetime).UTC()}
	if err := s.cfg.Store.AddSession(r.Context(), sess); err != nil {
		s.storeError(w, r, "session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		// MaxAge, not Expires: a browser's clock may differ from the server's.
		Name: SessionCookie, Value: id, Path: "/", MaxAge: int(s.cfg.SessionLifetime / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, sessionJSON{User: u, CSRFToken: csrf, ExpiresAt: &sess.ExpiresAt})
}

// getSession describes the signed-in user.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	out := sessionJSON{User: p.user}
	if p.session != nil {
		out.CSRFToken, out.ExpiresAt = p.session.CSRF, &p.session.ExpiresAt
	}
	writeJSON(w, http.StatusOK, out)
}

// logout ends the browser session of the request.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	if p.session == nil {
		writeError(w, http.StatusBadRequest, "there is no browser session to end: API tokens are revoked with `guarantor token revoke`")
		return
	}
	if err := s.cfg.Store.DeleteSession(r.Context(), p.session.Hash); err != nil {
		s.storeError(w, r, "session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}
