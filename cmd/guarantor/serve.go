package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/server"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/trigger"
)

func serveCommand() command {
	return command{
		name:  "serve",
		short: "run the guarantor server",
		long: `Runs the guarantor HTTP API on an embedded SQLite database, creating the
database file and applying schema migrations when needed. With --demo, a fresh
database is filled with an illustrative ceasefire agreement and a simulated day
of observations. The server stops cleanly on SIGINT or SIGTERM, finishing the
requests in flight. GET /healthz answers once it is ready.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			var o serveOptions
			fs.StringVar(&o.db, "db", "guarantor.db", "the SQLite database `FILE`")
			fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "the `ADDR`ess to listen on")
			fs.BoolVar(&o.demo, "demo", false, "load demonstration data (terms, sensors, a simulated day) into a fresh database")
			fs.Int64Var(&o.demoSeed, "demo-seed", 1, "the simulator `SEED` for --demo")
			fs.StringVar(&o.terms, "terms", "", "load agreement terms from `FILE` (YAML or JSON) at start, as a new version if they changed")
			fs.StringVar(&o.logFormat, "log-format", "auto", "log `FORMAT`: text, json, or auto (text on a terminal, JSON otherwise)")
			fs.StringVar(&o.logLevel, "log-level", "info", "log `LEVEL`: debug, info, warn or error")
			fs.Int64Var(&o.maxBody, "max-body", server.DefaultMaxBody, "the largest request body accepted, in `BYTES`")
			fs.DurationVar(&o.maxFuture, "max-future", server.DefaultMaxFuture, "how far past the server's clock an observation time may be (clock skew tolerated)")
			fs.DurationVar(&o.shutdown, "shutdown-timeout", 30*time.Second, "how long to wait for requests in flight when stopping")
			fs.StringVar(&o.logKey, "log-key", "", "the `FILE` of the key that signs checkpoints of the tamper-evident log, created with 0600 permissions on first start (default: the database file's name with .log-key)")
			fs.StringVar(&o.logOrigin, "log-origin", "", "the `NAME` of the log in its checkpoints, when the key is created (default: host name and a random suffix)")
			fs.DurationVar(&o.checkpointEvery, "checkpoint-every", time.Minute, "how often a checkpoint of the log is signed and kept (when the log has grown)")
			fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with the certificate `FILE` (PEM); needs --tls-key")
			fs.StringVar(&o.tlsKey, "tls-key", "", "the private key `FILE` (PEM) of --tls-cert")
			fs.StringVar(&o.scheme, "label-scheme", "", "the classification scheme `FILE` (YAML: levels, public); by default PUBLIC, UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET")
			fs.Float64Var(&o.rateLimit, "rate-limit", server.DefaultRateLimit, "the sustained requests per second allowed to each user, and to each address not signed in (negative: no limit)")
			fs.IntVar(&o.rateBurst, "rate-burst", server.DefaultRateBurst, "the requests a client may make at once above --rate-limit")
			fs.IntVar(&o.cutoffHour, "report-cutoff-hour", 0, "the `HOUR` (UTC, 0 to 23) at which the daily report's day begins")
			fs.StringVar(&o.ladder, "escalation-ladder", trigger.DefaultLadder().String(), "how obligations past their deadlines are escalated: `STEPS` of DURATION=WHOM after the deadline, WHOM liaison, nation_admins or coalition")
			return o.run
		},
	}
}

type serveOptions struct {
	db, listen, terms   string
	demo                bool
	demoSeed            int64
	logFormat, logLevel string
	maxBody             int64
	maxFuture           time.Duration
	shutdown            time.Duration
	logKey, logOrigin   string
	checkpointEvery     time.Duration
	tlsCert, tlsKey     string
	scheme              string
	rateLimit           float64
	rateBurst           int
	cutoffHour          int
	ladder              string
}

func (o *serveOptions) run(ctx context.Context, env *environment) error {
	log, err := newLogger(env.stderr, o.logFormat, o.logLevel)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.maxBody <= 0 {
		return fmt.Errorf("%w: --max-body must be a positive number of bytes, got %d", errUsage, o.maxBody)
	}
	if o.maxFuture < time.Second {
		return fmt.Errorf("%w: --max-future must be at least 1s, got %s", errUsage, o.maxFuture)
	}
	if o.checkpointEvery < time.Second {
		return fmt.Errorf("%w: --checkpoint-every must be at least 1s, got %s", errUsage, o.checkpointEvery)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	}
	if o.cutoffHour < 0 || o.cutoffHour > 23 {
		return fmt.Errorf("%w: --report-cutoff-hour must be 0 to 23, got %d", errUsage, o.cutoffHour)
	}
	ladder, err := trigger.ParseLadder(o.ladder)
	if err != nil {
		return fmt.Errorf("%w: --escalation-ladder: %v", errUsage, err)
	}
	scheme, err := loadScheme(o.scheme)
	if err != nil {
		return err
	}
	if o.logKey == "" {
		o.logKey = strings.TrimSuffix(o.db, ".db") + ".log-key"
	}
	signer, vkey, err := loadLogKey(o.logKey, o.logOrigin)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, o.db, sqlite.Options{Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	if err := st.AddLogKey(ctx, vkey); err != nil {
		return err
	}
	srv, err := server.New(ctx, server.Config{Store: st, Logger: log, ReportCutoffHour: o.cutoffHour, Ladder: ladder, MaxBody: o.maxBody, MaxFuture: o.maxFuture, Version: versionString(),
		LogSigner: signer, LogVerifierKey: vkey, Scheme: scheme, RateLimit: o.rateLimit, RateBurst: o.rateBurst})
	if err != nil {
		return err
	}
	if o.demo {
		if err := loadDemo(ctx, st, srv, o.demoSeed, log); err != nil {
			if ctx.Err() != nil {
				// Stopped while loading: what was committed stays, and the
				// next start with --demo completes the load.
				log.Info("stopped while loading demo data; the next start with --demo completes it")
				return nil
			}
			return fmt.Errorf("load demo data: %w", err)
		}
		if err := demoUsers(ctx, st, o.db, env.stderr); err != nil {
			return fmt.Errorf("demo users: %w", err)
		}
		if err := loadDemoRegistry(ctx, srv); err != nil {
			return fmt.Errorf("demo registry: %w", err)
		}
	}
	if o.terms != "" {
		data, err := os.ReadFile(o.terms)
		if err != nil {
			return fmt.Errorf("read terms: %w", err)
		}
		t, err := terms.Parse(data, o.terms)
		if err != nil {
			return err
		}
		v, err := srv.LoadTerms(ctx, t)
		if err != nil {
			return fmt.Errorf("load terms %s: %w", o.terms, err)
		}
		log.Info("terms loaded", "file", o.terms, "id", t.ID, "version", t.Version, "seq", v.Seq)
	}

	cp, err := srv.IssueCheckpoint(ctx)
	if err != nil {
		return err
	}
	log.Info("tamper-evident log", "size", cp.Size, "key", vkey, "key_file", o.logKey)
	cpCtx, stopCheckpoints := context.WithCancel(context.WithoutCancel(ctx))
	cpDone := make(chan struct{})
	go func() { defer close(cpDone); srv.RunCheckpoints(cpCtx, o.checkpointEvery) }()
	// After the server has stopped: sign the final state, then close the store.
	defer func() { stopCheckpoints(); <-cpDone }()

	// Fusion follows the stored observations and stores incidents.
	fusionCtx, stopFusion := context.WithCancel(context.WithoutCancel(ctx))
	fusionDone := make(chan struct{})
	go func() { defer close(fusionDone); srv.RunFusion(fusionCtx, incident.Config{}) }()
	defer func() { stopFusion(); <-fusionDone }()
	// The guarantees loop proposes activations and escalates obligations;
	// the sender delivers webhooks.
	loopsCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	var loops sync.WaitGroup
	loops.Go(func() { srv.RunGuarantees(loopsCtx) })
	loops.Go(func() { srv.RunNotifications(loopsCtx) })
	if o.demo {
		loops.Go(func() {
			if err := demoActivation(loopsCtx, st, srv, log); err != nil && loopsCtx.Err() == nil {
				log.Error("demo activation", "err", err)
			}
		})
	}
	defer func() { stopLoops(); loops.Wait() }()

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	proto := "http"
	if o.tlsCert != "" {
		proto = "https"
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		go func() { serveErr <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey) }()
	} else {
		go func() { serveErr <- hs.Serve(ln) }()
	}
	log.Info("guarantor is ready", "addr", ln.Addr().String(), "db", o.db, "url", proto+"://"+ln.Addr().String()+"/")

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("stopping: finishing requests in flight", "timeout", o.shutdown.String())
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdown)
	defer cancel()
	hs.RegisterOnShutdown(srv.EndStreams) // so that shutdown does not wait for them
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newLogger makes the server's logger: text on a terminal, JSON otherwise,
// unless format says which.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "auto":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text, json or auto", format)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
