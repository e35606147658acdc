// Package server is guarantor's HTTP API: observation ingest and query, the
// sensor registry, the agreement terms and the OpenAPI document. It is a thin
// shell: it decodes requests, asks the deciding packages (observe, terms) and
// the store, and encodes answers.
package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/trigger"
	"github.com/guarantor-project/guarantor/internal/web"
)

// Config is what a Server needs.
type Config struct {
	// Store keeps everything; required.
	Store store.Store
	// Logger receives the request log and errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBody is the largest request body accepted, in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// MaxFuture is how far past the server's clock an observation time may
	// be; 0 means DefaultMaxFuture.
	MaxFuture time.Duration
	// Version is reported by /healthz.
	Version string
	// LogSigner signs checkpoints of the tamper-evident log; nil means the
	// server issues none (it still serves the ones kept).
	LogSigner note.Signer
	// LogVerifierKey is the note verifier key of LogSigner, served at
	// /api/v1/log/key.
	LogVerifierKey string
	// Scheme is the classification scheme of releasability labels; the
	// zero value means label.DefaultScheme.
	Scheme label.Scheme
	// RateLimit is the sustained requests per second allowed to each user,
	// and to each address for requests that are not signed in; 0 means
	// DefaultRateLimit, negative means no limit. RateBurst is the burst
	// above it; 0 means DefaultRateBurst.
	RateLimit float64
	RateBurst int
	// SessionLifetime is how long a browser session lasts; 0 means
	// DefaultSessionLifetime.
	SessionLifetime time.Duration
	// Throttle slows down repeated failed sign-ins; the zero value means
	// access.DefaultThrottleConfig.
	Throttle access.ThrottleConfig
	// ReportCutoffHour (UTC, 0 to 23) is when a daily report's day begins.
	ReportCutoffHour int
	// Ladder is how obligations past their deadlines are escalated; nil
	// means trigger.DefaultLadder.
	Ladder trigger.Ladder
}

// Defaults for Config.
const (
	DefaultMaxBody   = 1 << 30 // 1 GiB
	DefaultMaxFuture = 5 * time.Minute
	// MaxFeatureBytes is the largest single observation accepted.
	MaxFeatureBytes = 256 << 10
	// ChunkSize is how many observations of a request are committed together.
	ChunkSize = 1000
	// MaxListedErrors caps the per-item errors listed in one ingest response.
	MaxListedErrors = 1000
	// DefaultRateLimit and DefaultRateBurst bound each client's requests.
	DefaultRateLimit = 100
	DefaultRateBurst = 200
)

// Server serves the API.
type Server struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	mux *http.ServeMux
	// gzip wraps a handler to compress its answer (see compress).
	gzip func(http.Handler) http.HandlerFunc

	termsMu    sync.RWMutex
	terms      []store.TermsVersion       // every version, oldest first
	agreements map[int64]*terms.Agreement // compiled terms by version

	checkpointMu sync.Mutex // one checkpoint issued at a time

	fusionMu sync.Mutex // guards fusion.changed
	fusion   *fusionSignals
	// streamsEnd is closed by EndStreams.
	streamsEnd     chan struct{}
	endStreamsOnce sync.Once

	// guarantees wakes the guarantees loop; notifications the webhook
	// sender.
	guarantees, notifications chan struct{}

	registryMu sync.Mutex // guards registryCache
	// registryWrites makes each change of the registry (read, merge,
	// validate, store) whole, so that two at once never validate against
	// a registry the other is replacing, nor lose the other's delivery.
	registryWrites sync.Mutex
	registryCache  struct {
		version int64
		reg     guarantee.Registry
		ok      bool
	}

	limits    *limiters
	throttle  *access.Throttle
	dummyHash string // verified for unknown users; see login
}

// route is one endpoint and who may call it; the table of routes is
// checked against the OpenAPI document by the tests.
type route struct {
	method, pattern string
	perm            access.Permission // public, signedIn, or a permission
	handler         http.HandlerFunc
}

// New builds a server over cfg.Store and loads the terms it holds.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxFuture <= 0 {
		cfg.MaxFuture = DefaultMaxFuture
	}
	if len(cfg.Scheme.Levels) == 0 {
		cfg.Scheme = label.DefaultScheme()
	}
	if err := cfg.Scheme.Validate(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = DefaultSessionLifetime
	}
	if cfg.ReportCutoffHour < 0 || cfg.ReportCutoffHour > 23 {
		return nil, fmt.Errorf("server: report cut-off hour %d is outside 0 to 23", cfg.ReportCutoffHour)
	}
	if err := cfg.Ladder.Validate(); len(cfg.Ladder) > 0 && err != nil {
		return nil, fmt.Errorf("server: escalation ladder: %w", err)
	}
	if cfg.Throttle == (access.ThrottleConfig{}) {
		cfg.Throttle = access.DefaultThrottleConfig()
	}
	throttle, err := access.NewThrottle(cfg.Throttle)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	dummy, err := access.HashPassword("not a password of anyone", rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(),
		limits: newLimiters(cfg.RateLimit, cfg.RateBurst), throttle: throttle, dummyHash: dummy,
		fusion: newFusionSignals(), streamsEnd: make(chan struct{}),
		guarantees: make(chan struct{}, 1), notifications: make(chan struct{}, 1)}
	if s.gzip, err = gzhttp.NewWrapper(gzhttp.MinSize(1024)); err != nil {
		return nil, fmt.Errorf("server: compression: %w", err)
	}
	if err := s.reloadTerms(ctx); err != nil {
		return nil, err
	}
	for _, r := range s.routes() {
		s.mux.HandleFunc(r.method+" "+r.pattern, s.guard(r.perm, r.handler))
	}
	// Every other path is the browser interface: public files (the pages
	// sign in through the API, which checks everything).
	s.mux.Handle("GET /", web.Handler())
	return s, nil
}

func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", public, s.healthz},
		{"GET", "/api/v1/openapi.json", signedIn, s.openAPI},
		{"POST", "/api/v1/session", public, s.login},
		{"GET", "/api/v1/session", signedIn, s.getSession},
		{"DELETE", "/api/v1/session", signedIn, s.logout},
		{"POST", "/api/v1/observations", access.IngestRecords, s.postObservations},
		{"GET", "/api/v1/observations", access.ReadRecords, s.listObservations},
		{"GET", "/api/v1/observations/{id}", access.ReadRecords, s.getObservation},
		{"POST", "/api/v1/sensors", access.ManageSensors, s.postSensors},
		{"GET", "/api/v1/sensors", access.ReadRecords, s.listSensors},
		{"GET", "/api/v1/sensors/{id}", access.ReadRecords, s.getSensor},
		{"POST", "/api/v1/restrictions", access.IngestRecords, s.postRestrictions},
		{"GET", "/api/v1/restrictions", access.ReadRecords, s.listRestrictions},
		{"GET", "/api/v1/restrictions/counts", access.ReadRecords, s.countRestrictions},
		{"GET", "/api/v1/restrictions/{id}", access.ReadRecords, s.getRestriction},
		{"GET", "/api/v1/incidents", access.ReadRecords, s.listIncidents},
		{"GET", "/api/v1/incidents/stream", access.ReadRecords, s.streamIncidents},
		{"GET", "/api/v1/incidents/grid", access.ReadRecords, s.getIncidentGrid},
		{"GET", "/api/v1/incidents/{id}", access.ReadRecords, s.getIncident},
		{"GET", "/api/v1/candidates", access.ReadRecords, s.listCandidates},
		{"GET", "/api/v1/candidates/stream", access.ReadRecords, s.streamCandidates},
		{"GET", "/api/v1/candidates/{id}", access.ReadRecords, s.getCandidate},
		{"GET", "/api/v1/candidates/{id}/actions", access.ReadRecords, s.getActions},
		{"POST", "/api/v1/candidates/{id}/actions", access.Verify, s.postAction},
		{"GET", "/api/v1/findings", access.ReadRecords, s.listFindings},
		{"GET", "/api/v1/actions", access.ReadRecords, s.listActions},
		{"GET", "/api/v1/registry", access.ReadRecords, s.getRegistry},
		{"POST", "/api/v1/registry", access.ManageRegistry, s.postRegistry},
		{"GET", "/api/v1/guarantors", access.ReadRecords, s.listGuarantors},
		{"GET", "/api/v1/guarantors/{code}", access.ReadRecords, s.getGuarantor},
		{"GET", "/api/v1/instruments", access.ReadRecords, s.listInstruments},
		{"GET", "/api/v1/instruments/{id}", access.ReadRecords, s.getInstrument},
		{"GET", "/api/v1/commitments", access.ReadRecords, s.listCommitments},
		{"GET", "/api/v1/commitments/{id}", access.ReadRecords, s.getCommitment},
		{"POST", "/api/v1/commitments/{id}/deliveries", access.ManageRegistry, s.postDelivery},
		{"GET", "/api/v1/clauses", access.ReadRecords, s.listClauses},
		{"GET", "/api/v1/clauses/{id}", access.ReadRecords, s.getClause},
		{"GET", "/api/v1/activations", access.ReadRecords, s.listActivations},
		{"GET", "/api/v1/activations/{id}", access.ReadRecords, s.getActivation},
		{"POST", "/api/v1/activations/{id}/determination", access.Determine, s.postDetermination},
		{"GET", "/api/v1/obligations", access.ReadRecords, s.listObligations},
		{"GET", "/api/v1/obligations/{id}", access.ReadRecords, s.getObligation},
		{"POST", "/api/v1/obligations/{id}/actions", access.ActOnObligation, s.postObligationAction},
		{"GET", "/api/v1/guarantees/stream", access.ReadRecords, s.streamGuarantees},
		{"GET", "/api/v1/analytics/commitments", access.ReadRecords, s.getCommitmentTotals},
		{"GET", "/api/v1/analytics/commitments/series", access.ReadRecords, s.getCommitmentSeries},
		{"GET", "/api/v1/webhooks", access.ManageWebhooks, s.listWebhooks},
		{"POST", "/api/v1/webhooks", access.ManageWebhooks, s.postWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", access.ManageWebhooks, s.deleteWebhook},
		{"GET", "/api/v1/webhooks/{id}/deliveries", access.ManageWebhooks, s.getDeliveries},
		{"GET", "/api/v1/reports/daily", access.ReadRecords, s.getDailyReport},
		{"GET", "/api/v1/terms", access.ReadRecords, s.getTerms},
		{"POST", "/api/v1/terms", access.ManageTerms, s.postTerms},
		{"GET", "/api/v1/terms/versions", access.ReadRecords, s.listTermsVersions},
		{"GET", "/api/v1/terms/locate", access.ReadRecords, s.locate},
		{"GET", "/api/v1/log/checkpoint", public, s.getCheckpoint},
		{"GET", "/api/v1/log/key", public, s.getLogKey},
		{"GET", "/api/v1/log/checkpoints", access.ReadLog, s.listCheckpoints},
		{"GET", "/api/v1/log/proof/inclusion", access.ReadLog, s.inclusionProof},
		{"GET", "/api/v1/log/proof/consistency", access.ReadLog, s.consistencyProof},
	}
}

// EndStreams ends every stream of server-sent events, and those opened
// later at once: call it when shutting down, which otherwise waits for them.
func (s *Server) EndStreams() {
	s.endStreamsOnce.Do(func() { close(s.streamsEnd) })
}

// Handler returns the server's HTTP handler with logging and panic recovery.
func (s *Server) Handler() http.Handler {
	return s.recoverer(s.logRequests(s.compress(s.mux)))
}

// compress sends the API's answers to reads gzip- or zstd-compressed when the
// client accepts it (gzhttp): a list of incidents is mostly repeated keys and
// ellipses' coordinates, and shrinks to a sixth, which a monitor on a field
// link notices. Streams are left alone (their events must leave at
// once), and so is the session, whose answer holds the CSRF token: a secret
// compressed beside what a request can choose is what BREACH reads.
func (s *Server) compress(next http.Handler) http.Handler {
	compressed := s.gzip(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if compressible(r) {
			compressed.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// compressible says whether the answer to r may be compressed: a read of the
// API, not a stream, not the session. (The interface's own files are
// compressed once, when built: internal/web.)
func compressible(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == http.MethodGet && strings.HasPrefix(p, "/api/") && !strings.HasSuffix(p, "/stream") && p != "/api/v1/session"
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// statusWriter records the status code of a response for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" {
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
	})
}

// recoverer turns a panic in a handler into a logged 500, so that one bad
// request cannot take the server down. Handlers are written not to panic;
// this is the last line of defence.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// errorBody is the shape of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{Error: fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// storeError answers a store failure: 404 for a missing record, 503 otherwise.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "%s not found", what)
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	s.log.Error("store", "what", what, "err", err)
	writeError(w, http.StatusServiceUnavailable, "the store could not answer: %v", err)
}
