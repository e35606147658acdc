// Package notify delivers events to the webhooks admins registered: each
// body is signed with HMAC-SHA256 of the webhook's secret, a delivery that
// fails is retried with exponential backoff and jitter, and every attempt is
// recorded for the delivery log.
//
// Deliveries survive a restart because they live in the store's outbox: the
// store writes one delivery per wanted webhook (see Deliveries) in the
// transaction that stores the event, and a Sender takes the due ones from the
// Outbox, posts them and records each attempt back. Delivery is at least
// once: a receiver deduplicates on the Guarantor-Delivery header.
//
// Signing, the body, who wants what and the backoff schedule are pure
// functions (notify.go); only the Sender does I/O (send.go).
package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The event types a webhook can subscribe to.
const (
	ActivationProposed            = "activation.proposed"
	ActivationDetermined          = "activation.determined"
	ObligationCreated             = "obligation.created"
	ObligationDeadlineApproaching = "obligation.deadline_approaching"
	ObligationEscalated           = "obligation.escalated"
	ObligationUpdated             = "obligation.updated"
)

// Types returns every event type, in the order of the workflow.
func Types() []string {
	return []string{
		ActivationProposed, ActivationDetermined, ObligationCreated,
		ObligationDeadlineApproaching, ObligationEscalated, ObligationUpdated,
	}
}

// The headers of a delivery's request, besides Content-Type and User-Agent.
const (
	// HeaderEvent carries the event's type.
	HeaderEvent = "Guarantor-Event"
	// HeaderDelivery carries the delivery's id, the same on every attempt:
	// receivers deduplicate on it.
	HeaderDelivery = "Guarantor-Delivery"
	// HeaderSignature carries Sign(secret, body).
	HeaderSignature = "Guarantor-Signature"
	// UserAgent is the User-Agent of every request.
	UserAgent = "guarantor"
)

// The defaults of the retry schedule.
const (
	DefaultBaseDelay   = time.Second
	DefaultMaxDelay    = time.Hour
	DefaultMaxAttempts = 10
	// Jitter is the largest share by which Backoff moves a delay either way.
	Jitter = 0.2
)

// Webhook is a receiver an admin registered.
type Webhook struct {
	ID     int64
	URL    string
	Secret string
	// Events are the event types it wants; empty means all.
	Events []string
	// Disabled webhooks get nothing.
	Disabled bool
}

// Event is something that happened, as sent to webhooks.
type Event struct {
	// ID identifies the event; it must not be empty.
	ID   string
	Type string
	At   time.Time
	// Data is the event's JSON payload; empty is sent as null.
	Data json.RawMessage
}

// Delivery is one event owed to one webhook, as kept in the outbox.
type Delivery struct {
	// ID is DeliveryID(Event.ID, Webhook.ID).
	ID      string
	Webhook Webhook
	Event   Event
	// Attempts is the number of attempts made so far.
	Attempts int
	// NextAt is when the next attempt is due.
	NextAt time.Time
}

// Attempt is one try at a delivery, as recorded in the delivery log.
type Attempt struct {
	Delivery  string
	Webhook   int64
	Event     string
	EventType string
	// N counts the attempts of the delivery from 1.
	N  int
	At time.Time
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Error says why the attempt failed; empty when it succeeded.
	Error    string
	Duration time.Duration
	// Done: delivered (a 2xx answer).
	Done bool
	// GaveUp: failed, and no attempt will follow.
	GaveUp bool
}

// DeliveryID is the id of the delivery of an event to a webhook: the same
// pair always gives the same id.
func DeliveryID(eventID string, webhookID int64) string {
	return eventID + ":" + strconv.FormatInt(webhookID, 10)
}

// Sign returns the signature of body under secret: "sha256=" and the hex of
// HMAC-SHA256(secret, body).
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether header is the signature of body under secret. It
// compares in constant time.
func Verify(secret, body []byte, header string) bool {
	h, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(h)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// wire is the JSON body of a delivery.
type wire struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// Body returns the JSON body sent for ev: {"id","type","at","data"}, with at
// in RFC 3339 in UTC and data compacted. The same event always gives the same
// bytes, so every attempt carries the same signature.
func Body(ev Event) ([]byte, error) {
	if ev.ID == "" {
		return nil, errors.New("notify: body: event without an id")
	}
	if ev.Type == "" {
		return nil, fmt.Errorf("notify: body of event %s: no type", ev.ID)
	}
	b, err := json.Marshal(wire{ID: ev.ID, Type: ev.Type, At: ev.At.UTC(), Data: ev.Data})
	if err != nil {
		return nil, fmt.Errorf("notify: body of event %s: %w", ev.ID, err)
	}
	return b, nil
}

// Wants reports whether w should receive events of eventType: it is not
// disabled, and it wants all events or names this one.
func Wants(w Webhook, eventType string) bool {
	if w.Disabled {
		return false
	}
	return len(w.Events) == 0 || slices.Contains(w.Events, eventType)
}

// Deliveries returns the deliveries of ev owed to hooks, each due at now:
// one for every webhook that wants it, in the order of hooks, a webhook
// listed twice counted once. The store writes them to its outbox in the
// transaction that stores the event.
func Deliveries(ev Event, hooks []Webhook, now time.Time) []Delivery {
	var out []Delivery
	seen := make(map[int64]bool)
	for _, w := range hooks {
		if seen[w.ID] || !Wants(w, ev.Type) {
			continue
		}
		seen[w.ID] = true
		out = append(out, Delivery{ID: DeliveryID(ev.ID, w.ID), Webhook: w, Event: ev, NextAt: now})
	}
	return out
}

// Backoff returns the delay before the attempt after failed attempt number
// attempt (from 1): base·2^(attempt-1), capped at maxDelay, moved by up to
// ±Jitter according to jitter, a number in [0, 1) from the caller's source
// (0.5 leaves the delay as it is), and never above maxDelay. A base or
// maxDelay that is not positive takes its default; an attempt below 1 counts
// as 1, and a jitter outside [0, 1) as 0.5.
func Backoff(attempt int, base, maxDelay time.Duration, jitter float64) time.Duration {
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxDelay
	}
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		if d > maxDelay/2 {
			d = maxDelay
			break
		}
		d *= 2
	}
	d = min(d, maxDelay)
	if !(jitter >= 0 && jitter < 1) {
		jitter = 0.5
	}
	j := float64(d) * (1 + Jitter*(2*jitter-1))
	if j >= float64(maxDelay) {
		return maxDelay
	}
	return time.Duration(j)
}
