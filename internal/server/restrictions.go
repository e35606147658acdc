package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/restriction"
	"github.com/guarantor-project/guarantor/internal/store"
)

// maxRestrictionsBody bounds the body of a POST of restrictions, which is
// read whole before anything is stored.
const maxRestrictionsBody = 32 << 20

// postRestrictions answers POST /api/v1/restrictions: a GeoJSON Feature, or
// a FeatureCollection of them, each a restriction of access. Each is
// checked on its own; the good ones are stored, with the signed-in user as
// their submitter, and the answer counts what happened to each as
// observation ingest does. A re-sent id is a duplicate and changes nothing.
func (s *Server) postRestrictions(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/geo+json" && mt != "application/json") {
			writeError(w, http.StatusUnsupportedMediaType, "Content-Type %q is not accepted: send application/geo+json (a Feature or a FeatureCollection)", ct)
			return
		}
	}
	body, ok := readAll(w, r, maxRestrictionsBody)
	if !ok {
		return
	}
	items, err := restrictionItems(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	var p parseResult
	var good []restriction.Restriction
	for i, raw := range items {
		p.items++
		if len(raw) > MaxFeatureBytes {
			p.reject(i, "", []observe.FieldError{{Reason: fmt.Sprintf("feature is longer than %d bytes", MaxFeatureBytes)}})
			continue
		}
		rs, problems := s.parseRestriction(raw)
		if len(problems) > 0 {
			p.reject(i, rs.ID, problems)
			continue
		}
		good = append(good, rs)
	}
	res := IngestResult{Rejected: p.rejected, Errors: p.errors, ErrorsTruncated: p.truncated}
	if res.Errors == nil {
		res.Errors = []ItemError{}
	}
	if len(good) > 0 {
		outcomes, err := s.cfg.Store.AddRestrictions(r.Context(), who(r).user.Name, good)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			s.log.Error("restrictions: store failed", "err", err)
			res.Error = fmt.Sprintf("the store failed; no restriction of this request was stored: %v", err)
			writeJSON(w, http.StatusServiceUnavailable, res)
			return
		}
		for _, o := range outcomes {
			if o == store.Added {
				res.Accepted++
			} else {
				res.Duplicates++
			}
		}
	}
	status := http.StatusOK
	if p.items > 0 && res.Accepted+res.Duplicates == 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, res)
}

// restrictionItems returns the Features of a body that is a Feature or a
// FeatureCollection. Members other than "type" and "features" of a
// collection are ignored, so that a page from GET posts back as it is.
func restrictionItems(body []byte) ([]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("the body is empty: send a GeoJSON Feature, or a FeatureCollection of them")
	}
	var top struct {
		Type     string             `json:"type"`
		Features *[]json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("malformed JSON: the body must be a GeoJSON Feature, or a FeatureCollection of them: %v", err)
	}
	switch top.Type {
	case "Feature":
		return []json.RawMessage{body}, nil
	case "FeatureCollection":
		if top.Features == nil {
			return nil, errors.New(`the FeatureCollection has no "features" array`)
		}
		return *top.Features, nil
	}
	return nil, fmt.Errorf(`"type" must be "Feature" or "FeatureCollection", got %q`, top.Type)
}

// parseRestriction reads and checks one restriction: its own rules, then
// those that need the server, a time not in the future and a party the
// terms in force then know.
func (s *Server) parseRestriction(raw []byte) (restriction.Restriction, []observe.FieldError) {
	rs, err := restriction.Parse(raw, s.cfg.Scheme)
	if err != nil {
		var ps restriction.Problems
		if errors.As(err, &ps) {
			return rs, ps
		}
		return rs, []observe.FieldError{{Reason: err.Error()}}
	}
	var problems []observe.FieldError
	if now := s.now(); rs.Time.After(now.Add(s.cfg.MaxFuture)) {
		problems = append(problems, observe.FieldError{Field: "properties.time",
			Reason: fmt.Sprintf("%s is in the future (server time %s, tolerance %s)", rs.Time.Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339), s.cfg.MaxFuture)})
	}
	if codes := s.partyCodes(rs.Time); rs.Party != "" && codes != nil && !slices.Contains(codes, rs.Party) {
		problems = append(problems, observe.FieldError{Field: "properties.party",
			Reason: fmt.Sprintf("unknown party %q (the terms in force then know %s)", rs.Party, strings.Join(codes, ", "))})
	}
	return rs, problems
}

// partyCodes returns the codes of the parties of the terms in force at t,
// or nil when none were.
func (s *Server) partyCodes(t time.Time) []string {
	v, ok := s.termsAt(t)
	if !ok {
		return nil
	}
	codes := make([]string, len(v.Terms.Parties))
	for i, p := range v.Terms.Parties {
		codes[i] = p.Code
	}
	return codes
}

var restrictionParams = []string{"bbox", "from", "to", "party", "limit", "cursor"}

// listRestrictions answers GET /api/v1/restrictions: the restrictions the
// reader may see, newest first, as a FeatureCollection of their canonical
// Features.
func (s *Server) listRestrictions(w http.ResponseWriter, r *http.Request) {
	listFeatures(s, w, r, "restrictions", parseRestrictionQuery, func(ctx context.Context, q store.RestrictionQuery, vis *label.Visibility) ([][]byte, string, error) {
		q.Visible = vis
		page, err := s.cfg.Store.QueryRestrictions(ctx, q)
		features := make([][]byte, len(page.Restrictions))
		for i, rec := range page.Restrictions {
			features[i] = rec.Feature
		}
		next := ""
		if page.Next != nil {
			next = encodeRestrictionCursor(*page.Next)
		}
		return features, next, err
	})
}

// parseRestrictionQuery reads the parameters of GET /api/v1/restrictions.
func parseRestrictionQuery(v url.Values) (store.RestrictionQuery, error) {
	q := store.RestrictionQuery{Limit: DefaultLimit}
	for k := range v {
		if !slices.Contains(restrictionParams, k) {
			return q, fmt.Errorf("unknown parameter %q (known: %s)", k, strings.Join(restrictionParams, ", "))
		}
	}
	var err error
	if q.BBox, q.From, q.To, err = parseWhereWhen(v); err != nil {
		return q, err
	}
	if p := v.Get("party"); p != "" && p != "none" && !restriction.IsPartyCode(p) {
		return q, fmt.Errorf("party: %q is not a party code (1 to 8 capital letters or digits), nor none for restrictions whose party is not known", p)
	}
	q.Party = v.Get("party")
	if q.Limit, err = parseLimit(v); err != nil {
		return q, err
	}
	if c := v.Get("cursor"); c != "" {
		cur, err := decodeRestrictionCursor(c)
		if err != nil {
			return q, err
		}
		q.After = &cur
	}
	return q, nil
}

// A restriction cursor is the time and id of the last restriction returned.
func encodeRestrictionCursor(c store.RestrictionCursor) string { return encodeTimeCursor(c.Time, c.ID) }

func decodeRestrictionCursor(s string) (store.RestrictionCursor, error) {
	t, id, err := decodeTimeCursor(s)
	return store.RestrictionCursor{Time: t, ID: id}, err
}

// getRestriction answers GET /api/v1/restrictions/{id}: one restriction's
// canonical Feature, with its log leaf index in the LogLeafHeader.
func (s *Server) getRestriction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, err := s.cfg.Store.Restriction(r.Context(), id, s.visibility(r))
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("restriction %q", id), err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set(LogLeafHeader, strconv.FormatUint(rec.Leaf, 10))
	w.Write(append(rec.Feature, '\n'))
}

// RestrictionCounts is the answer to GET /api/v1/restrictions/counts.
type RestrictionCounts struct {
	// From and To echo the window counted, when the request bounded it.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Counts has one entry per party, sorted by party code, the party not
	// known first.
	Counts []RestrictionCount `json:"counts"`
}

// RestrictionCount is what the reader may see of one party's restrictions.
type RestrictionCount struct {
	// Party is the party's code; nil for restrictions whose party is not
	// known.
	Party *string `json:"party"`
	// Denied and Delayed count each outcome, Total both.
	Denied  int `json:"denied"`
	Delayed int `json:"delayed"`
	Total   int `json:"total"`
	// TotalDelayS is the sum of their delays, in seconds.
	TotalDelayS float64 `json:"total_delay_s"`
}

var restrictionCountParams = []string{"from", "to"}

// countRestrictions answers GET /api/v1/restrictions/counts: per party,
// how many of the restrictions the reader may see, in the window from and
// to give, were denials and delays, and how long the delays were.
func (s *Server) countRestrictions(w http.ResponseWriter, r *http.Request) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query string: %v", err)
		return
	}
	for k := range v {
		if !slices.Contains(restrictionCountParams, k) {
			writeError(w, http.StatusBadRequest, "unknown parameter %q (known: %s)", k, strings.Join(restrictionCountParams, ", "))
			return
		}
	}
	_, from, to, err := parseWhereWhen(url.Values{"from": v["from"], "to": v["to"]})
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	counts, err := s.cfg.Store.CountRestrictions(r.Context(), from, to, s.visibility(r))
	if err != nil {
		s.storeError(w, r, "restriction counts", err)
		return
	}
	res := RestrictionCounts{Counts: make([]RestrictionCount, len(counts))}
	if !from.IsZero() {
		res.From = from.UTC().Format(time.RFC3339Nano)
	}
	if !to.IsZero() {
		res.To = to.UTC().Format(time.RFC3339Nano)
	}
	for i, c := range counts {
		rc := RestrictionCount{Denied: c.Denied, Delayed: c.Delayed, Total: c.Total, TotalDelayS: c.TotalDelay.Seconds()}
		if c.Party != "" {
			rc.Party = &c.Party
		}
		res.Counts[i] = rc
	}
	writeJSON(w, http.StatusOK, res)
}
