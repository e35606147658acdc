package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// ActionRequest is an analyst's action on a candidate: the body of POST
// /api/v1/candidates/{id}/actions.
type ActionRequest struct {
	// ID names the action, so that a retry is not a second action;
	// optional: the server names it when it is absent.
	ID     string `json:"id,omitempty"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Target is the candidate a merge goes into.
	Target string `json:"target,omitempty"`
	// Parts are, for a split, the observations of each part: each a
	// non-empty subset of the candidate's, no observation in two parts.
	Parts [][]string `json:"parts,omitempty"`
}

// actionJSON is an action as the API returns it: its canonical form and
// its leaf in the tamper-evident log.
type actionJSON struct {
	json.RawMessage
	Leaf uint64
}

// MarshalJSON adds the leaf to the canonical form.
func (a actionJSON) MarshalJSON() ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(a.RawMessage, &m); err != nil {
		return nil, err
	}
	m["leaf"] = json.RawMessage(strconv.FormatUint(a.Leaf, 10))
	return json.Marshal(m)
}

func newActionJSON(a store.ActionRecord) (actionJSON, error) {
	b, err := a.Canonical()
	return actionJSON{RawMessage: b, Leaf: a.Leaf}, err
}

// confirmationJSON is a confirmation that counts towards verification.
type confirmationJSON struct {
	Analyst string    `json:"analyst"`
	Nation  string    `json:"nation"`
	At      time.Time `json:"at"`
}

// reviewJSON is a candidate's place in the workflow: its state, who
// confirmed it, what it still needs, and every action.
type reviewJSON struct {
	Candidate     string             `json:"candidate"`
	State         verify.State       `json:"state"`
	Confirmations []confirmationJSON `json:"confirmations"`
	Needed        string             `json:"needed,omitempty"`
	MergedInto    string             `json:"merged_into,omitempty"`
	SplitInto     []string           `json:"split_into,omitempty"`
	Actions       []actionJSON       `json:"actions"`
}

func newReviewJSON(r verify.Review, history []store.ActionRecord) (reviewJSON, error) {
	out := reviewJSON{Candidate: r.Candidate, State: r.State, Needed: r.Needed(), MergedInto: r.MergedInto,
		SplitInto: r.SplitInto, Confirmations: []confirmationJSON{}, Actions: make([]actionJSON, len(history))}
	for _, c := range r.Confirmations {
		out.Confirmations = append(out.Confirmations, confirmationJSON{c.Analyst.Name, c.Analyst.Nation, c.At.UTC()})
	}
	for i, a := range history {
		var err error
		if out.Actions[i], err = newActionJSON(a); err != nil {
			return out, err
		}
	}
	return out, nil
}

// candidateObservations reads the observations a candidate rests on from
// its Feature.
func candidateObservations(c store.CandidateRecord) ([]string, error) {
	var f struct {
		Properties struct {
			Observations []string `json:"observations"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(c.Feature, &f); err != nil {
		return nil, fmt.Errorf("candidate %s: %w", c.ID, err)
	}
	return f.Properties.Observations, nil
}

// review rebuilds a candidate's review from its history: the workflow is
// the fold of its actions.
func (s *Server) review(ctx context.Context, c store.CandidateRecord) (verify.Review, []store.ActionRecord, error) {
	obs, err := candidateObservations(c)
	if err != nil {
		return verify.Review{}, nil, err
	}
	submitters, err := s.cfg.Store.Submitters(ctx, obs)
	if err != nil {
		return verify.Review{}, nil, err
	}
	history, err := s.cfg.Store.Actions(ctx, c.ID)
	if err != nil {
		return verify.Review{}, nil, err
	}
	r := verify.New(c.ID, submitters)
	for _, a := range history {
		if r, err = verify.Apply(r, a.Action); err != nil {
			// The history was accepted one action at a time; a refusal now
			// means the rules changed since, which the history must survive.
			return r, history, fmt.Errorf("replay the history of %s: %w", c.ID, err)
		}
	}
	return r, history, nil
}

// getActions answers GET /api/v1/candidates/{id}/actions: the candidate's
// review and history.
func (s *Server) getActions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.cfg.Store.Candidate(r.Context(), id, s.visibility(r))
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("candidate %q", id), err)
		return
	}
	rev, history, err := s.review(r.Context(), c)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("history of candidate %q", id), err)
		return
	}
	out, err := newReviewJSON(rev, history)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("history of candidate %q", id), err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// postAction answers POST /api/v1/candidates/{id}/actions: an analyst
// confirms, rejects, asks for more information, merges, splits or
// re-opens a candidate, with a reason. The action is acknowledged after it
// is stored and logged; a retry with the same id returns the stored action.
func (s *Server) postAction(w http.ResponseWriter, r *http.Request) {
	var req ActionRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be {"kind": "confirm", "reason": "..."} (kinds: confirm, reject, request_information, merge with "target", split with "parts", reopen): %v`, err)
		return
	}
	stored, c, retry, err := s.ActOnCandidate(r.Context(), who(r).user, r.PathValue("id"), req)
	switch {
	case errors.Is(err, verify.ErrInvalid), errors.Is(err, errBadAction):
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	case errors.Is(err, verify.ErrRefused), errors.Is(err, store.ErrConflict), errors.Is(err, errActionTaken):
		writeError(w, http.StatusConflict, "%v", err)
		return
	case err != nil:
		s.storeError(w, r, "candidate", err)
		return
	}
	status := http.StatusCreated
	if retry {
		status = http.StatusOK
	}
	s.answerAction(w, r, status, c, stored)
}

// Errors of ActOnCandidate.
var (
	// errBadAction is a malformed split.
	errBadAction = errors.New("bad action")
	// errActionTaken is an action id used by another action.
	errActionTaken = errors.New("action id taken")
)

// ActOnCandidate applies an analyst's action to a candidate they may see,
// and stores it in the log. A request whose id names an action stored
// already is a retry: it returns that action and true, or errActionTaken
// when the request is a different action.
func (s *Server) ActOnCandidate(ctx context.Context, user access.User, id string, req ActionRequest) (store.ActionRecord, store.CandidateRecord, bool, error) {
	vis := s.cfg.Scheme.VisibilityFor(user.Nation, user.Clearance)
	c, err := s.cfg.Store.Candidate(ctx, id, &vis)
	if err != nil {
		return store.ActionRecord{}, c, false, err
	}
	retried := func(prev store.ActionRecord) (store.ActionRecord, store.CandidateRecord, bool, error) {
		same := prev.Candidate == c.ID && string(prev.Action.Kind) == req.Kind && prev.Action.Analyst.Name == user.Name &&
			prev.Action.Reason == strings.TrimSpace(req.Reason) && prev.Action.Target == req.Target
		if !same {
			return prev, c, false, fmt.Errorf("%w: action id %q is taken by another action", errActionTaken, req.ID)
		}
		if prev.Action.Kind == verify.SplitInto {
			// The first attempt may have stored the action and failed
			// before its parts.
			parts, err := splitParts(c, prev.N, req.Parts)
			if err != nil {
				return prev, c, false, fmt.Errorf("%w: split %s: %v", errBadAction, c.ID, err)
			}
			if err := s.cfg.Store.PutCandidates(ctx, nil, parts); err != nil {
				return prev, c, false, err
			}
		}
		return prev, c, true, nil
	}
	if req.ID != "" {
		if prev, err := s.cfg.Store.Action(ctx, req.ID); err == nil {
			return retried(prev)
		} else if !errors.Is(err, store.ErrNotFound) {
			return prev, c, false, err
		}
	} else {
		req.ID = newActionID()
	}
	rev, history, err := s.review(ctx, c)
	if err != nil {
		return store.ActionRecord{}, c, false, err
	}
	a := verify.Action{Kind: verify.Kind(req.Kind), Analyst: verify.Analyst{Name: user.Name, Nation: user.Nation},
		At: s.now().UTC(), Reason: strings.TrimSpace(req.Reason), Target: req.Target}
	var parts []store.CandidateRecord
	switch a.Kind {
	case verify.MergeInto:
		if a.Target != "" {
			target, err := s.cfg.Store.Candidate(ctx, a.Target, &vis)
			if err != nil {
				return store.ActionRecord{}, c, false, fmt.Errorf("target: %w", err)
			}
			if target.Withdrawn {
				return store.ActionRecord{}, c, false, fmt.Errorf("%w: target candidate %q is withdrawn: the rules no longer find it", verify.ErrRefused, a.Target)
			}
		}
	case verify.SplitInto:
		if parts, err = splitParts(c, len(history)+1, req.Parts); err != nil {
			return store.ActionRecord{}, c, false, fmt.Errorf("%w: split %s: %v", errBadAction, id, err)
		}
		for _, p := range parts {
			a.Parts = append(a.Parts, p.ID)
		}
	}
	next, err := verify.Apply(rev, a)
	if err != nil {
		return store.ActionRecord{}, c, false, err
	}
	stored, err := s.cfg.Store.AddAction(ctx, store.ActionRecord{ID: req.ID, Candidate: id, N: len(history) + 1, Action: a}, string(next.State))
	switch {
	case errors.Is(err, store.ErrConflict):
		return stored, c, false, fmt.Errorf("%w: another action on %s was stored first; read its history and try again", store.ErrConflict, id)
	case errors.Is(err, store.ErrExists):
		// The same id, sent twice at once: answer as for a retry.
		prev, perr := s.cfg.Store.Action(ctx, req.ID)
		if perr != nil {
			return stored, c, false, err
		}
		return retried(prev)
	case err != nil:
		return stored, c, false, err
	}
	if err := s.cfg.Store.PutCandidates(ctx, nil, parts); err != nil {
		return stored, c, false, fmt.Errorf("the parts of the split: %w", err)
	}
	s.notifyIncidents()
	if next.State != rev.State {
		s.wakeGuarantees() // a finding made, or unmade
	}
	return stored, c, false, nil
}

// answerAction answers with the action and the candidate's review after it.
func (s *Server) answerAction(w http.ResponseWriter, r *http.Request, status int, c store.CandidateRecord, a store.ActionRecord) {
	rev, history, err := s.review(r.Context(), c)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("history of candidate %q", c.ID), err)
		return
	}
	review, err := newReviewJSON(rev, history)
	if err != nil {
		s.storeError(w, r, "action", err)
		return
	}
	act, err := newActionJSON(a)
	if err != nil {
		s.storeError(w, r, "action", err)
		return
	}
	writeJSON(w, status, struct {
		Action actionJSON `json:"action"`
		Review reviewJSON `json:"review"`
	}{act, review})
}

// newActionID names an action the client did not name.
func newActionID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "act-" + hex.EncodeToString(b)
}

// splitParts makes the candidates a split creates: one per part, each a
// copy of c resting on the part's observations, open, and named after c
// and the split's place in c's history (so a retry names them alike).
func splitParts(c store.CandidateRecord, n int, parts [][]string) ([]store.CandidateRecord, error) {
	if len(parts) < 2 {
		return nil, fmt.Errorf("give at least two parts, each a list of the candidate's observations")
	}
	have, err := candidateObservations(c)
	if err != nil {
		return nil, err
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(c.Feature, &f); err != nil {
		return nil, fmt.Errorf("candidate %s: %w", c.ID, err)
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(f["properties"], &props); err != nil {
		return nil, fmt.Errorf("candidate %s: %w", c.ID, err)
	}
	seen := map[string]int{}
	out := make([]store.CandidateRecord, len(parts))
	for i, part := range parts {
		if len(part) == 0 {
			return nil, fmt.Errorf("part %d is empty", i+1)
		}
		for _, o := range part {
			if !slices.Contains(have, o) {
				return nil, fmt.Errorf("part %d: observation %q is not one the candidate rests on", i+1, o)
			}
			if j, ok := seen[o]; ok {
				return nil, fmt.Errorf("observation %q is in parts %d and %d", o, j, i+1)
			}
			seen[o] = i + 1
		}
		p := c
		p.ID = fmt.Sprintf("%s.split-%d.%d", c.ID, n, i+1)
		p.SplitFrom, p.State, p.Withdrawn = c.ID, "", false
		obs, _ := json.Marshal(slices.Sorted(slices.Values(part)))
		props["observations"], props["split_from"] = obs, mustJSON(c.ID)
		pb, err := json.Marshal(props)
		if err != nil {
			return nil, err
		}
		f["id"], f["properties"] = mustJSON(p.ID), pb
		if p.Feature, err = json.Marshal(f); err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// mustJSON encodes a string, which cannot fail.
func mustJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

var actionParams = []string{"candidate", "analyst", "nation", "kind", "from", "to", "limit", "cursor"}

// listActions answers GET /api/v1/actions: the analysts' actions on the
// candidates the reader may see, newest first: who did what, when and why,
// across the queue.
func (s *Server) listActions(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	for k := range v {
		if !slices.Contains(actionParams, k) {
			writeError(w, http.StatusBadRequest, "unknown parameter %q (known: %s)", k, strings.Join(actionParams, ", "))
			return
		}
	}
	q := store.ActionQuery{Candidate: v.Get("candidate"), Analyst: v.Get("analyst"), Nation: v.Get("nation"), Kind: v.Get("kind"),
		Visible: s.visibility(r)}
	var err error
	if _, q.From, q.To, err = parseWhereWhen(url.Values{"from": v["from"], "to": v["to"]}); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if q.Limit, err = parseLimit(v); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if c := v.Get("cursor"); c != "" {
		seq, err := strconv.ParseInt(c, 10, 64)
		if err != nil || seq <= 0 {
			writeError(w, http.StatusBadRequest, "cursor: %q is not a cursor returned by this server", c)
			return
		}
		q.After = seq
	}
	page, err := s.cfg.Store.QueryActions(r.Context(), q)
	if err != nil {
		s.storeError(w, r, "actions", err)
		return
	}
	out := struct {
		Actions []actionJSON `json:"actions"`
		Next    string       `json:"next,omitempty"`
	}{Actions: make([]actionJSON, len(page.Actions))}
	for i, a := range page.Actions {
		if out.Actions[i], err = newActionJSON(a); err != nil {
			s.storeError(w, r, "actions", err)
			return
		}
	}
	if page.Next > 0 {
		out.Next = strconv.FormatInt(page.Next, 10)
	}
	writeJSON(w, http.StatusOK, out)
}
