package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/verify"
)

var candidateParams = []string{"from", "to", "type", "party", "severity", "state", "incident", "withdrawn", "limit", "cursor"}

// listCandidates answers GET /api/v1/candidates: the candidate violations
// the reader may see, in the order of the analysts' queue (gravest, then
// oldest, first), as a FeatureCollection.
func (s *Server) listCandidates(w http.ResponseWriter, r *http.Request) {
	s.queryCandidates(w, r, "candidates", parseCandidateQuery)
}

// listFindings answers GET /api/v1/findings: the verified candidates, in
// the queue's order. It takes the candidates' parameters but state.
func (s *Server) listFindings(w http.ResponseWriter, r *http.Request) {
	s.queryCandidates(w, r, "findings", func(v url.Values) (store.CandidateQuery, error) {
		if v.Has("state") {
			return store.CandidateQuery{}, fmt.Errorf("findings are the verified candidates: use /api/v1/candidates?state=… for the others")
		}
		q, err := parseCandidateQuery(v)
		q.State = string(verify.Verified)
		return q, err
	})
}

// queryCandidates answers a query of candidates as a FeatureCollection.
func (s *Server) queryCandidates(w http.ResponseWriter, r *http.Request, what string, parse func(url.Values) (store.CandidateQuery, error)) {
	listFeatures(s, w, r, what, parse, func(ctx context.Context, q store.CandidateQuery, vis *label.Visibility) ([][]byte, string, error) {
		q.Visible = vis
		page, err := s.cfg.Store.QueryCandidates(ctx, q)
		features := make([][]byte, len(page.Candidates))
		for i, c := range page.Candidates {
			if features[i], err = candidateFeature(c); err != nil {
				return nil, "", err
			}
		}
		next := ""
		if page.Next != nil {
			next = encodeCandidateCursor(*page.Next)
		}
		return features, next, err
	})
}

// parseCandidateQuery reads the parameters of GET /api/v1/candidates.
func parseCandidateQuery(v url.Values) (store.CandidateQuery, error) {
	var q store.CandidateQuery
	for k := range v {
		if !slices.Contains(candidateParams, k) {
			return q, fmt.Errorf("unknown parameter %q (known: %s)", k, strings.Join(candidateParams, ", "))
		}
	}
	var err error
	if _, q.From, q.To, err = parseWhereWhen(url.Values{"from": v["from"], "to": v["to"]}); err != nil {
		return q, err
	}
	if sev := v.Get("severity"); sev != "" && !slices.Contains(terms.Severities, sev) {
		return q, fmt.Errorf("severity: unknown severity %q (known: %s)", sev, strings.Join(terms.Severities, ", "))
	}
	if st := v.Get("state"); st != "" && !slices.Contains(verify.States(), verify.State(st)) {
		return q, fmt.Errorf("state: unknown state %q (known: %s)", st, joinStates(verify.States()))
	}
	q.Type, q.Party, q.Severity, q.State = v.Get("type"), v.Get("party"), v.Get("severity"), v.Get("state")
	if q.Incident, err = parseIncidentParam(v); err != nil {
		return q, err
	}
	switch w := v.Get("withdrawn"); w {
	case "", "exclude":
	case "include":
		q.Withdrawn = true
	default:
		return q, fmt.Errorf("withdrawn: %q, want include (the candidates the rules withdrew too) or exclude (the default)", w)
	}
	if q.Limit, err = parseLimit(v); err != nil {
		return q, err
	}
	if c := v.Get("cursor"); c != "" {
		cur, err := decodeCandidateCursor(c)
		if err != nil {
			return q, err
		}
		q.After = &cur
	}
	return q, nil
}

// parseIncidentParam reads the incident parameter: one id, or none. An
// empty or repeated one is refused rather than read as no filter, since it
// would list every candidate as if it rested on the incident.
func parseIncidentParam(v url.Values) (string, error) {
	ids, ok := v["incident"]
	switch {
	case !ok:
		return "", nil
	case len(ids) > 1:
		return "", fmt.Errorf("incident: given %d times; give one incident's id", len(ids))
	case ids[0] == "":
		return "", errors.New("incident: empty; give an incident's id, or leave the parameter out")
	case !utf8.ValidString(ids[0]) || strings.ContainsFunc(ids[0], unicode.IsControl):
		return "", fmt.Errorf("incident: %q is not an id: it must be printable UTF-8, without control characters", ids[0])
	}
	return ids[0], nil
}

// A candidate cursor is the rank of the severity, the time and the id of
// the last candidate returned.
func encodeCandidateCursor(c store.CandidateCursor) string {
	rank := slices.Index(terms.Severities, c.Severity)
	return encodeCursorParts(strconv.Itoa(rank), strconv.FormatInt(c.Time.UnixNano(), 10), c.ID)
}

func decodeCandidateCursor(s string) (store.CandidateCursor, error) {
	ints, id, err := cursorParts(s, 3)
	if err != nil {
		return store.CandidateCursor{}, err
	}
	if ints[0] < 0 || ints[0] >= int64(len(terms.Severities)) {
		return store.CandidateCursor{}, fmt.Errorf("cursor: %q is not a cursor returned by this server", s)
	}
	return store.CandidateCursor{Severity: terms.Severities[ints[0]], Time: time.Unix(0, ints[1]).UTC(), ID: id}, nil
}

// getCandidate answers GET /api/v1/candidates/{id}: one candidate.
func (s *Server) getCandidate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.cfg.Store.Candidate(r.Context(), id, s.visibility(r))
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("candidate %q", id), err)
		return
	}
	f, err := candidateFeature(c)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("candidate %q", id), err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(append(f, '\n'))
}

// candidateFeature is a candidate's Feature as the API serves it: the
// rules' Feature with the workflow's state, whether it is withdrawn, and
// the candidate it was split from.
func candidateFeature(c store.CandidateRecord) ([]byte, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(c.Feature, &f); err != nil {
		return nil, fmt.Errorf("candidate %s: %w", c.ID, err)
	}
	props := map[string]json.RawMessage{}
	if raw, ok := f["properties"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &props); err != nil {
			return nil, fmt.Errorf("candidate %s: %w", c.ID, err)
		}
	}
	props["state"] = mustJSON(c.State)
	if c.Withdrawn {
		props["withdrawn"] = json.RawMessage("true")
	}
	var err error
	if f["properties"], err = json.Marshal(props); err != nil {
		return nil, err
	}
	return json.Marshal(f)
}

// joinStates lists states for an error message.
func joinStates(states []verify.State) string {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = string(st)
	}
	return strings.Join(out, ", ")
}

// streamCandidates answers GET /api/v1/candidates/stream: the queue as
// server-sent events, one "candidate" event per candidate found or changed.
func (s *Server) streamCandidates(w http.ResponseWriter, r *http.Request) {
	s.streamEvents(w, r, "candidate", s.cfg.Store.LastCandidateSeq,
		func(ctx context.Context, after int64, vis *label.Visibility) ([]streamed, error) {
			recs, err := s.cfg.Store.CandidatesSince(ctx, after, vis, MaxLimit)
			out := make([]streamed, len(recs))
			for i, c := range recs {
				f, ferr := candidateFeature(c)
				if ferr != nil {
					return nil, ferr
				}
				out[i] = streamed{seq: c.Seq, feature: f}
			}
			return out, err
		})
}
