package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/notify"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/trigger"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// Timing of the guarantees loop.
const (
	// GuaranteeTick is how often the loop looks at deadlines when nothing
	// else wakes it.
	GuaranteeTick = time.Minute
	// DeadlineWarning is how long before its deadline an obligation not
	// met is announced as approaching.
	DeadlineWarning = 6 * time.Hour
)

// wakeGuarantees tells the guarantees loop that findings or the registry
// changed.
func (s *Server) wakeGuarantees() {
	signal(s.guarantees)
}

// RunGuarantees evaluates the trigger clauses in force against the findings
// whenever either changes, proposes the activations whose conditions hold,
// and escalates obligations past their deadlines, until ctx ends. It never
// activates obligations by itself: that is the authority's determination.
func (s *Server) RunGuarantees(ctx context.Context) error {
	tick := time.NewTicker(GuaranteeTick)
	defer tick.Stop()
	for {
		if err := s.GuaranteesOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("guarantees", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.guarantees:
		case <-tick.C:
		}
	}
}

// GuaranteesOnce runs one pass of the guarantees loop: proposals, then
// deadlines.
func (s *Server) GuaranteesOnce(ctx context.Context) error {
	if err := s.propose(ctx); err != nil {
		return err
	}
	return s.escalate(ctx)
}

// propose evaluates the clauses in force and stores the proposals that are
// new.
func (s *Server) propose(ctx context.Context) error {
	now := s.now().UTC()
	reg, err := s.registry(ctx)
	if err != nil {
		return err
	}
	var clauses []trigger.Clause
	for _, in := range reg.Instruments {
		if !in.InForce(guarantee.DateOf(now)) {
			continue
		}
		for _, c := range in.Clauses {
			c.Instrument = in.ID
			clauses = append(clauses, c)
		}
	}
	if len(clauses) == 0 {
		return nil
	}
	set, err := trigger.Compile(clauses)
	if err != nil {
		return fmt.Errorf("compile the clauses: %w", err)
	}
	findings, _, err := s.findings(ctx)
	if err != nil {
		return err
	}
	known, err := s.knownActivations(ctx)
	if err != nil {
		return err
	}
	var determined []string
	for _, a := range known {
		if a.State == trigger.Confirmed && !slices.Contains(determined, a.Clause) {
			determined = append(determined, a.Clause)
		}
	}
	proposals, err := set.Evaluate(findings, now, determined)
	if err != nil {
		s.log.Warn("guarantees: a clause failed", "err", err)
	}
	for _, p := range proposals {
		if !trigger.Novel(p, known) {
			continue
		}
		a := trigger.Propose(activationID(p), p)
		ev := newEvent(notify.ActivationProposed, a.ID, now, map[string]any{"activation": a.ID, "clause": a.Clause,
			"instrument": a.Instrument, "findings": len(a.Findings)})
		err := s.cfg.Store.ProposeActivation(ctx, a, []notify.Event{ev})
		known = append(known, a)
		switch {
		case errors.Is(err, store.ErrExists):
			continue // proposed by another pass meanwhile
		case err != nil:
			return err
		}
		s.log.Info("activation proposed", "activation", a.ID, "clause", a.Clause, "findings", len(a.Findings))
		s.notifyIncidents()
		s.wakeNotifications()
	}
	return nil
}

// activationID names a proposal by its clause and findings, so that the
// same proposal is stored once.
func activationID(p trigger.Proposal) string {
	h := sha256.Sum256([]byte(p.Clause + "\n" + strings.Join(p.Findings, "\n")))
	return "act-" + p.Clause + "-" + hex.EncodeToString(h[:6])
}

// newEvent makes an event about a record (or a step of one), named by its
// type and the record, so that it is stored once however often it is made.
func newEvent(typ, record string, at time.Time, data any) notify.Event {
	b, _ := json.Marshal(data)
	return notify.Event{ID: typ + ":" + record, Type: typ, At: at, Data: b}
}

// stepKey names an obligation's last step.
func stepKey(o trigger.Obligation) string {
	return fmt.Sprintf("%s#%d", o.ID, len(o.History))
}

// knownActivations returns every activation: proposed, confirmed and
// declined.
func (s *Server) knownActivations(ctx context.Context) ([]trigger.Activation, error) {
	var out []trigger.Activation
	for _, st := range []trigger.ActivationState{trigger.Proposed, trigger.Confirmed, trigger.Declined} {
		recs, err := s.cfg.Store.QueryActivations(ctx, store.ActivationQuery{State: st, Limit: 100_000})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, r.Activation)
		}
	}
	return out, nil
}

// findings reads every verified candidate as a finding, and their labels.
func (s *Server) findings(ctx context.Context) ([]trigger.Finding, map[string]label.Label, error) {
	var out []trigger.Finding
	labels := map[string]label.Label{}
	q := store.CandidateQuery{State: string(verify.Verified), Limit: reportPage}
	for {
		page, err := s.cfg.Store.QueryCandidates(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range page.Candidates {
			var f struct {
				Geometry struct {
					Coordinates []float64 `json:"coordinates"`
				} `json:"geometry"`
				Properties struct {
					Clause string `json:"clause"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(c.Feature, &f); err != nil {
				return nil, nil, fmt.Errorf("candidate %s: %w", c.ID, err)
			}
			// A finding exists from the moment analysts verified it: the
			// clauses' windows count from then (docs/guarantees.md).
			history, err := s.cfg.Store.Actions(ctx, c.ID)
			if err != nil {
				return nil, nil, err
			}
			at := c.Time
			if len(history) > 0 {
				at = history[len(history)-1].Action.At
			}
			fd := trigger.Finding{ID: c.ID, Type: c.Type, Party: c.Party, Severity: c.Severity, Clause: f.Properties.Clause, Time: at, Label: c.Label}
			if len(f.Geometry.Coordinates) >= 2 {
				fd.Region = s.region(c.Time, geo.LonLat{Lon: f.Geometry.Coordinates[0], Lat: f.Geometry.Coordinates[1]})
			}
			out = append(out, fd)
			labels[c.ID] = c.Label
		}
		if page.Next == nil {
			return out, labels, nil
		}
		q.After = page.Next
	}
}

// region is the code of the terms' region a point is in at a time, "" when
// none.
func (s *Server) region(at time.Time, p geo.LonLat) string {
	s.termsMu.RLock()
	defer s.termsMu.RUnlock()
	v, ok := store.InForce(s.terms, at)
	if !ok {
		return ""
	}
	ag := s.agreements[v.Seq]
	if ag == nil {
		return ""
	}
	if r, ok := ag.Region(p); ok {
		return r.Code
	}
	return ""
}

// escalate takes the escalation steps due on obligations not met, and
// announces the deadlines approaching.
func (s *Server) escalate(ctx context.Context) error {
	now := s.now().UTC()
	recs, err := s.cfg.Store.QueryObligations(ctx, store.ObligationQuery{NotMet: true, Limit: 100_000})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		o := rec.Obligation
		if trigger.Approaching(o, now, DeadlineWarning) {
			ev := notify.Event{ID: notify.ObligationDeadlineApproaching + ":" + o.ID, Type: notify.ObligationDeadlineApproaching, At: now}
			ev.Data, _ = json.Marshal(obligationEventData(o))
			if err := s.cfg.Store.AddEvents(ctx, []notify.Event{ev}); err != nil {
				return err
			}
		}
		for _, a := range trigger.Escalations(o, now, s.ladder()) {
			next := trigger.Escalate(o, a)
			ev := newEvent(notify.ObligationEscalated, stepKey(next), now, map[string]any{"obligation": o.ID, "guarantor": o.Guarantor,
				"deadline": o.Deadline, "notify": a.Step, "level": next.Escalation})
			if _, err := s.storeStep(ctx, next, a, ev); err != nil {
				if errors.Is(err, store.ErrConflict) {
					break // someone acted meanwhile; the next pass sees it
				}
				return err
			}
			s.log.Warn("obligation escalated", "obligation", o.ID, "guarantor", o.Guarantor, "notify", a.Step)
			o = next
		}
	}
	return nil
}

// ladder is the escalation ladder in use.
func (s *Server) ladder() trigger.Ladder {
	if len(s.cfg.Ladder) > 0 {
		return s.cfg.Ladder
	}
	return trigger.DefaultLadder()
}

// obligationEventData is what an event says of an obligation.
func obligationEventData(o trigger.Obligation) map[string]any {
	return map[string]any{"obligation": o.ID, "activation": o.Activation, "guarantor": o.Guarantor, "type": o.Type,
		"deadline": o.Deadline, "state": o.State}
}

// stepJSON is the canonical form of a logged step of an obligation.
type stepJSON struct {
	Obligation string    `json:"obligation"`
	N          int       `json:"n"`
	Kind       string    `json:"kind"`
	By         string    `json:"by,omitempty"`
	Nation     string    `json:"nation,omitempty"`
	At         time.Time `json:"at"`
	Note       string    `json:"note,omitempty"`
	Notify     string    `json:"notify,omitempty"`
	State      string    `json:"state"`
}

// storeStep stores an obligation after a step, with the step logged and
// its events.
func (s *Server) storeStep(ctx context.Context, o trigger.Obligation, a trigger.ObligationAction, events ...notify.Event) (store.GuaranteeStep, error) {
	body, err := json.Marshal(stepJSON{Obligation: o.ID, N: len(o.History), Kind: a.Kind, By: a.By, Nation: a.Nation,
		At: a.At.UTC(), Note: a.Note, Notify: a.Step, State: string(o.State)})
	if err != nil {
		return store.GuaranteeStep{}, err
	}
	step := store.GuaranteeStep{ID: stepKey(o), Record: o.ID, Body: body}
	return s.cfg.Store.UpdateObligation(ctx, o, step, events)
}

// activationJSON is an activation as a reader sees it: the findings they
// may see, and how many others there are.
type activationJSON struct {
	ID            string                  `json:"id"`
	Clause        string                  `json:"clause"`
	Instrument    string                  `json:"instrument"`
	State         trigger.ActivationState `json:"state"`
	ProposedAt    time.Time               `json:"proposed_at"`
	Findings      []string                `json:"findings"`
	HiddenFinding int                     `json:"hidden_findings"`
	Determination *determinationJSON      `json:"determination,omitempty"`
	Obligations   *obligationCounts       `json:"obligations,omitempty"`
}

type determinationJSON struct {
	Confirm bool      `json:"confirm"`
	By      string    `json:"by"`
	Nation  string    `json:"nation"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
	Leaf    *uint64   `json:"leaf,omitempty"`
}

// obligationCounts is, for a confirmed activation, how many of its
// obligations are met, open and overdue.
type obligationCounts struct {
	Total   int `json:"total"`
	Met     int `json:"met"`
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
}

// viewActivation is an activation as the request's reader may see it.
func (s *Server) viewActivation(ctx context.Context, r *http.Request, a trigger.Activation, detail bool) (activationJSON, error) {
	labels := map[string]label.Label{}
	for _, id := range a.Findings {
		c, err := s.cfg.Store.Candidate(ctx, id, nil)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return activationJSON{}, err
		}
		labels[id] = c.Label // a missing finding has no label, and is hidden
	}
	shown, hidden := trigger.Visible(a.Findings, labels, *s.visibility(r))
	out := activationJSON{ID: a.ID, Clause: a.Clause, Instrument: a.Instrument, State: a.State, ProposedAt: a.ProposedAt,
		Findings: orEmpty(shown), HiddenFinding: hidden}
	if d := a.Determination; d != nil {
		out.Determination = &determinationJSON{Confirm: d.Confirm, By: d.By, Nation: d.Nation, Reason: d.Reason, At: d.At}
		if detail {
			steps, err := s.cfg.Store.GuaranteeSteps(ctx, a.ID)
			if err != nil {
				return out, err
			}
			if len(steps) > 0 {
				out.Determination.Leaf = &steps[len(steps)-1].Leaf
			}
		}
	}
	if a.State == trigger.Confirmed {
		obls, err := s.cfg.Store.QueryObligations(ctx, store.ObligationQuery{Activation: a.ID, Limit: 10_000})
		if err != nil {
			return out, err
		}
		now := s.now()
		c := obligationCounts{Total: len(obls)}
		for _, o := range obls {
			switch {
			case o.Obligation.State == trigger.Met:
				c.Met++
			case trigger.Overdue(o.Obligation, now):
				c.Overdue++
			default:
				c.Open++
			}
		}
		out.Obligations = &c
	}
	return out, nil
}

// listActivations answers GET /api/v1/activations: the activations, newest
// first, with state and clause filters.
func (s *Server) listActivations(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.params(w, r, "json", []string{"json"}, []string{"state", "clause", "limit"}); !ok {
		return
	}
	v := r.URL.Query()
	q := store.ActivationQuery{State: trigger.ActivationState(v.Get("state")), Clause: v.Get("clause")}
	if st := q.State; st != "" && st != trigger.Proposed && st != trigger.Confirmed && st != trigger.Declined {
		writeError(w, http.StatusBadRequest, "state: %q is not proposed, confirmed or declined", st)
		return
	}
	var err error
	if q.Limit, err = parseLimit(v); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	recs, err := s.cfg.Store.QueryActivations(r.Context(), q)
	if err != nil {
		s.storeError(w, r, "activations", err)
		return
	}
	out := make([]activationJSON, len(recs))
	for i, rec := range recs {
		if out[i], err = s.viewActivation(r.Context(), r, rec.Activation, false); err != nil {
			s.storeError(w, r, "activations", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// getActivation answers GET /api/v1/activations/{id}.
func (s *Server) getActivation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, err := s.cfg.Store.Activation(r.Context(), id)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("activation %q", id), err)
		return
	}
	out, err := s.viewActivation(r.Context(), r, rec.Activation, true)
	if err != nil {
		s.storeError(w, r, "activation", err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// determinationRequest is the body of POST /api/v1/activations/{id}/determination.
type determinationRequest struct {
	Confirm *bool  `json:"confirm"`
	Reason  string `json:"reason"`
}

// postDetermination answers POST /api/v1/activations/{id}/determination:
// the designated authority confirms or declines a proposed activation, with
// a reason. A confirmation creates one obligation per guarantor of the
// clause, with its deadline.
func (s *Server) postDetermination(w http.ResponseWriter, r *http.Request) {
	var req determinationRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Confirm == nil {
		writeError(w, http.StatusBadRequest, `the body must be {"confirm": true or false, "reason": "..."}`)
		return
	}
	u := who(r).user
	out, err := s.Determine(r.Context(), u, r.PathValue("id"), *req.Confirm, req.Reason)
	if err != nil {
		s.guaranteeError(w, r, err)
		return
	}
	view, err := s.viewActivation(r.Context(), r, out, true)
	if err != nil {
		s.storeError(w, r, "activation", err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// guaranteeError answers an error of a determination or an obligation's
// step: 400 malformed, 403 refused to this user, 409 refused in this state.
func (s *Server) guaranteeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, trigger.ErrInvalid):
		writeError(w, http.StatusBadRequest, "%v", err)
	case errors.Is(err, errNotYours):
		writeError(w, http.StatusForbidden, "%v", err)
	case errors.Is(err, trigger.ErrRefused), errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "%v", err)
	default:
		s.storeError(w, r, "guarantees", err)
	}
}

// errNotYours is an obligation of another nation.
var errNotYours = errors.New("not your nation's obligation")

// Determine records the authority's determination of a proposed activation.
func (s *Server) Determine(ctx context.Context, u access.User, id string, confirm bool, reason string) (trigger.Activation, error) {
	rec, err := s.cfg.Store.Activation(ctx, id)
	if err != nil {
		return trigger.Activation{}, err
	}
	reg, err := s.registry(ctx)
	if err != nil {
		return trigger.Activation{}, err
	}
	var clause trigger.Clause
	for _, c := range registryClauses(reg) {
		if c.ID == rec.Activation.Clause {
			clause = c
		}
	}
	if clause.ID == "" {
		return trigger.Activation{}, fmt.Errorf("%w: the clause %s of activation %s is no longer in the registry", trigger.ErrRefused, rec.Activation.Clause, id)
	}
	now := s.now().UTC()
	d := trigger.Determination{Confirm: confirm, By: u.Name, Nation: u.Nation, Reason: strings.TrimSpace(reason), At: now}
	a, obls, err := trigger.Determine(rec.Activation, clause, d)
	if err != nil {
		return trigger.Activation{}, err
	}
	body, err := json.Marshal(struct {
		Activation  string    `json:"activation"`
		Clause      string    `json:"clause"`
		Findings    []string  `json:"findings"`
		Confirm     bool      `json:"confirm"`
		By          string    `json:"by"`
		Nation      string    `json:"nation"`
		At          time.Time `json:"at"`
		Reason      string    `json:"reason"`
		Obligations []string  `json:"obligations"`
	}{a.ID, a.Clause, a.Findings, confirm, u.Name, u.Nation, now, d.Reason, obligationIDs(obls)})
	if err != nil {
		return trigger.Activation{}, err
	}
	events := []notify.Event{newEvent(notify.ActivationDetermined, a.ID, now, map[string]any{"activation": a.ID, "clause": a.Clause,
		"confirm": confirm, "by": u.Name, "reason": d.Reason, "obligations": len(obls)})}
	for _, o := range obls {
		events = append(events, newEvent(notify.ObligationCreated, o.ID, now, obligationEventData(o)))
	}
	step := store.GuaranteeStep{ID: a.ID + "#determination", Record: a.ID, Body: body}
	if _, err := s.cfg.Store.Determine(ctx, a, obls, step, events); err != nil {
		return trigger.Activation{}, err
	}
	s.notifyIncidents()
	s.wakeNotifications()
	return a, nil
}

func obligationIDs(obls []trigger.Obligation) []string {
	out := make([]string, len(obls))
	for i, o := range obls {
		out[i] = o.ID
	}
	return out
}

// obligationJSON is an obligation as the API answers one.
type obligationJSON struct {
	trigger.Obligation
	Overdue bool `json:"overdue"`
	// Remaining is the time left to the deadline in seconds, negative
	// once it has passed.
	RemainingS float64           `json:"remaining_s"`
	Steps      []json.RawMessage `json:"steps,omitempty"`
}

func (s *Server) viewObligation(o trigger.Obligation) obligationJSON {
	now := s.now()
	return obligationJSON{Obligation: o, Overdue: trigger.Overdue(o, now), RemainingS: o.Deadline.Sub(now).Seconds()}
}

// listObligations answers GET /api/v1/obligations: earliest deadline first,
// with guarantor, state, activation and overdue filters.
func (s *Server) listObligations(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.params(w, r, "json", []string{"json"}, []string{"guarantor", "state", "activation", "overdue", "limit"}); !ok {
		return
	}
	v := r.URL.Query()
	q := store.ObligationQuery{Guarantor: v.Get("guarantor"), Activation: v.Get("activation"), State: trigger.ObligationState(v.Get("state"))}
	if st := q.State; st != "" && st != trigger.Open && st != trigger.Acknowledged && st != trigger.Met {
		writeError(w, http.StatusBadRequest, "state: %q is not open, acknowledged or met", st)
		return
	}
	overdue := false
	if o := v.Get("overdue"); o != "" {
		var err error
		if overdue, err = strconv.ParseBool(o); err != nil {
			writeError(w, http.StatusBadRequest, "overdue: %q is not true or false", o)
			return
		}
		q.NotMet = overdue
	}
	var err error
	if q.Limit, err = parseLimit(v); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	recs, err := s.cfg.Store.QueryObligations(r.Context(), q)
	if err != nil {
		s.storeError(w, r, "obligations", err)
		return
	}
	out := []obligationJSON{}
	for _, rec := range recs {
		if overdue && !trigger.Overdue(rec.Obligation, s.now()) {
			continue
		}
		out = append(out, s.viewObligation(rec.Obligation))
	}
	writeJSON(w, http.StatusOK, out)
}

// getObligation answers GET /api/v1/obligations/{id}: with its logged steps.
func (s *Server) getObligation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, err := s.cfg.Store.Obligation(r.Context(), id)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("obligation %q", id), err)
		return
	}
	out := s.viewObligation(rec.Obligation)
	steps, err := s.cfg.Store.GuaranteeSteps(r.Context(), id)
	if err != nil {
		s.storeError(w, r, "obligation", err)
		return
	}
	for _, st := range steps {
		b, _ := json.Marshal(map[string]any{"id": st.ID, "leaf": st.Leaf, "step": st.Body})
		out.Steps = append(out.Steps, b)
	}
	writeJSON(w, http.StatusOK, out)
}

// obligationRequest is the body of POST /api/v1/obligations/{id}/actions.
type obligationRequest struct {
	Kind string `json:"kind"`
	Note string `json:"note"`
}

// postObligationAction answers POST /api/v1/obligations/{id}/actions: a
// liaison officer of the obligation's nation acknowledges it, records an
// action taken, or closes it as met.
func (s *Server) postObligationAction(w http.ResponseWriter, r *http.Request) {
	var req obligationRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be {"kind": "acknowledge", "record_action" or "close", "note": "..."}: %v`, err)
		return
	}
	o, err := s.ActOnObligation(r.Context(), who(r).user, r.PathValue("id"), req.Kind, req.Note)
	if err != nil {
		s.guaranteeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.viewObligation(o))
}

// ActOnObligation records a liaison officer's step on an obligation.
func (s *Server) ActOnObligation(ctx context.Context, u access.User, id, kind, note string) (trigger.Obligation, error) {
	rec, err := s.cfg.Store.Obligation(ctx, id)
	if err != nil {
		return trigger.Obligation{}, err
	}
	if u.Nation != rec.Obligation.Guarantor {
		return trigger.Obligation{}, fmt.Errorf("%w: obligation %s is %s's; %s is a liaison of %s", errNotYours, id, rec.Obligation.Guarantor, u.Name, u.Nation)
	}
	now := s.now().UTC()
	a := trigger.ObligationAction{Kind: kind, By: u.Name, Nation: u.Nation, Note: strings.TrimSpace(note), At: now}
	who := trigger.Actor{Name: u.Name, Nation: u.Nation, Liaison: slices.Contains(u.Roles, access.Liaison)}
	o, err := trigger.Act(rec.Obligation, who, a)
	if err != nil {
		return trigger.Obligation{}, err
	}
	ev := newEvent(notify.ObligationUpdated, stepKey(o), now, obligationEventData(o))
	if _, err := s.storeStep(ctx, o, a, ev); err != nil {
		return trigger.Obligation{}, err
	}
	s.notifyIncidents()
	s.wakeNotifications()
	return o, nil
}

// streamGuarantees answers GET /api/v1/guarantees/stream: every event about
// activations and obligations as server-sent events, each named by its type
// (activation.proposed, obligation.escalated, ...).
func (s *Server) streamGuarantees(w http.ResponseWriter, r *http.Request) {
	s.streamEvents(w, r, "guarantee", s.cfg.Store.LastEventSeq,
		func(ctx context.Context, after int64, _ *label.Visibility) ([]streamed, error) {
			recs, err := s.cfg.Store.EventsSince(ctx, after, MaxLimit)
			out := make([]streamed, len(recs))
			for i, e := range recs {
				b, berr := notify.Body(e.Event)
				if berr != nil {
					return nil, berr
				}
				out[i] = streamed{seq: e.Seq, feature: b, name: e.Event.Type}
			}
			return out, err
		})
}
