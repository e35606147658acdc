package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/guarantor-project/guarantor/internal/notify"
)

// wakeNotifications tells the webhook sender that deliveries were queued.
func (s *Server) wakeNotifications() {
	signal(s.notifications)
}

// RunNotifications delivers the queued webhook deliveries until ctx ends
// (see package notify).
func (s *Server) RunNotifications(ctx context.Context) error {
	sender := notify.New(notify.Config{Outbox: s.cfg.Store, Now: s.now, Logger: s.log})
	return sender.Run(ctx, s.notifications)
}

// webhookRequest is the body of POST /api/v1/webhooks.
type webhookRequest struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
}

// webhookJSON is a webhook as the API answers: never its secret.
type webhookJSON struct {
	ID       int64    `json:"id"`
	URL      string   `json:"url"`
	Events   []string `json:"events"`
	Disabled bool     `json:"disabled"`
}

func newWebhookJSON(w notify.Webhook) webhookJSON {
	return webhookJSON{ID: w.ID, URL: w.URL, Events: orEmpty(w.Events), Disabled: w.Disabled}
}

// postWebhook answers POST /api/v1/webhooks: an admin registers a URL, the
// secret its deliveries are signed with, and the event types it wants (none
// for all).
func (s *Server) postWebhook(w http.ResponseWriter, r *http.Request) {
	var req webhookRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be {"url": "https://...", "secret": "...", "events": [...]}: %v`, err)
		return
	}
	u, err := url.Parse(req.URL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		writeError(w, http.StatusBadRequest, "url: %q is not an http or https URL", req.URL)
		return
	case len(req.Secret) < 16:
		writeError(w, http.StatusBadRequest, "secret: at least 16 characters, shared with the receiver, which checks the signature")
		return
	}
	for _, e := range req.Events {
		if !slices.Contains(notify.Types(), e) {
			writeError(w, http.StatusBadRequest, "events: unknown event type %q (known: %s)", e, strings.Join(notify.Types(), ", "))
			return
		}
	}
	hook := notify.Webhook{URL: req.URL, Secret: req.Secret, Events: req.Events}
	if hook.ID, err = s.cfg.Store.AddWebhook(r.Context(), hook, s.now().UTC()); err != nil {
		s.storeError(w, r, "webhook", err)
		return
	}
	writeJSON(w, http.StatusCreated, newWebhookJSON(hook))
}

// listWebhooks answers GET /api/v1/webhooks.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.cfg.Store.ListWebhooks(r.Context())
	if err != nil {
		s.storeError(w, r, "webhooks", err)
		return
	}
	out := make([]webhookJSON, len(hooks))
	for i, h := range hooks {
		out[i] = newWebhookJSON(h)
	}
	writeJSON(w, http.StatusOK, out)
}

// webhookID reads the {id} of a webhook route.
func webhookID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "webhook %q not found", r.PathValue("id"))
		return 0, false
	}
	return id, true
}

// deleteWebhook answers DELETE /api/v1/webhooks/{id}: the webhook is
// disabled (its delivery log is kept).
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookID(w, r)
	if !ok {
		return
	}
	if err := s.cfg.Store.SetWebhookDisabled(r.Context(), id, true); err != nil {
		s.storeError(w, r, fmt.Sprintf("webhook %d", id), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// getDeliveries answers GET /api/v1/webhooks/{id}/deliveries: the last
// attempts to deliver to the webhook, newest first.
func (s *Server) getDeliveries(w http.ResponseWriter, r *http.Request) {
	id, ok := webhookID(w, r)
	if !ok {
		return
	}
	limit, err := parseLimit(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	log, err := s.cfg.Store.DeliveryLog(r.Context(), id, limit)
	if err != nil {
		s.storeError(w, r, "delivery log", err)
		return
	}
	type attemptJSON struct {
		Delivery  string  `json:"delivery"`
		Event     string  `json:"event"`
		EventType string  `json:"event_type"`
		N         int     `json:"attempt"`
		At        string  `json:"at"`
		Status    int     `json:"status"`
		Error     string  `json:"error,omitempty"`
		DurationS float64 `json:"duration_s"`
		Done      bool    `json:"delivered"`
		GaveUp    bool    `json:"gave_up"`
	}
	out := make([]attemptJSON, len(log))
	for i, a := range log {
		out[i] = attemptJSON{a.Delivery, a.Event, a.EventType, a.N, a.At.Format("2006-01-02T15:04:05.000Z07:00"), a.Status, a.Error,
			a.Duration.Seconds(), a.Done, a.GaveUp}
	}
	writeJSON(w, http.StatusOK, out)
}
