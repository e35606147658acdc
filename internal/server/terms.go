package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/rules"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// termsVersionJSON is how a terms version is shown.
type termsVersionJSON struct {
	Seq      int64       `json:"seq"`
	LoadedAt time.Time   `json:"loaded_at"`
	InForce  bool        `json:"in_force"`
	LogLeaf  uint64      `json:"log_leaf"`
	Terms    terms.Terms `json:"terms"`
}

// getTerms returns the terms in force now, or at the time given by ?at=.
func (s *Server) getTerms(w http.ResponseWriter, r *http.Request) {
	at := s.now()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "at: %q is not an RFC 3339 time", v)
			return
		}
		at = t
	}
	v, ok := s.termsAt(at)
	if !ok {
		writeError(w, http.StatusNotFound, "no terms are in force at %s", at.UTC().Format(time.RFC3339))
		return
	}
	writeJSON(w, http.StatusOK, termsVersionJSON{Seq: v.Seq, LoadedAt: v.LoadedAt, InForce: true, LogLeaf: v.Leaf, Terms: v.Terms})
}

// termsVersions returns every loaded version, oldest first.
func (s *Server) termsVersions() []store.TermsVersion {
	s.termsMu.RLock()
	defer s.termsMu.RUnlock()
	return s.terms
}

func (s *Server) listTermsVersions(w http.ResponseWriter, r *http.Request) {
	all := s.termsVersions()
	current, ok := store.InForce(all, s.now())
	out := make([]termsVersionJSON, len(all))
	for i, v := range all {
		out[i] = termsVersionJSON{Seq: v.Seq, LoadedAt: v.LoadedAt, InForce: ok && v.Seq == current.Seq, LogLeaf: v.Leaf, Terms: v.Terms}
	}
	writeJSON(w, http.StatusOK, out)
}

// postTerms loads a new version of the terms (YAML or JSON) without a
// restart. Every version is kept.
func (s *Server) postTerms(w http.ResponseWriter, r *http.Request) {
	body, ok := readAll(w, r, maxRegistryBody)
	if !ok {
		return
	}
	t, err := terms.Parse(body, "request body")
	if err == nil {
		_, err = rules.Compile(t)
	}
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: err.Error()})
		return
	}
	v, err := s.LoadTerms(r.Context(), t)
	if err != nil {
		s.storeError(w, r, "terms", err)
		return
	}
	current, _ := s.termsAt(s.now())
	writeJSON(w, http.StatusCreated, termsVersionJSON{Seq: v.Seq, LoadedAt: v.LoadedAt, InForce: current.Seq == v.Seq, Terms: v.Terms})
}

// LoadTerms validates a new version of the terms, keeps it, and puts it
// into use. Terms that do not validate are refused with terms.Problems.
func (s *Server) LoadTerms(ctx context.Context, t terms.Terms) (store.TermsVersion, error) {
	if _, err := terms.Compile(t); err != nil {
		return store.TermsVersion{}, err
	}
	if _, err := rules.Compile(t); err != nil {
		return store.TermsVersion{}, err
	}
	v, err := s.cfg.Store.AddTerms(ctx, t)
	if err != nil {
		return v, err
	}
	signal(s.fusion.rebuild) // incidents are attributed under the terms in force
	return v, s.reloadTerms(ctx)
}

// reloadTerms reads every version from the store and compiles the ones not
// compiled yet.
func (s *Server) reloadTerms(ctx context.Context) error {
	all, err := s.cfg.Store.ListTerms(ctx)
	if err != nil {
		return fmt.Errorf("load terms: %w", err)
	}
	s.termsMu.RLock()
	compiled := maps.Clone(s.agreements)
	s.termsMu.RUnlock()
	if compiled == nil {
		compiled = map[int64]*terms.Agreement{}
	}
	for _, v := range all {
		if compiled[v.Seq] != nil {
			continue
		}
		a, err := terms.Compile(v.Terms)
		if err != nil {
			return fmt.Errorf("stored terms version %d: %w", v.Seq, err)
		}
		compiled[v.Seq] = a
	}
	s.termsMu.Lock()
	s.terms, s.agreements = all, compiled
	s.termsMu.Unlock()
	return nil
}

// termsAt returns the version of the terms in force at t.
func (s *Server) termsAt(t time.Time) (store.TermsVersion, bool) {
	v, _, ok := s.agreementAt(t)
	return v, ok
}

// agreementAt returns the compiled terms in force at t.
func (s *Server) agreementAt(t time.Time) (store.TermsVersion, *terms.Agreement, bool) {
	s.termsMu.RLock()
	defer s.termsMu.RUnlock()
	v, ok := store.InForce(s.terms, t)
	if !ok {
		return v, nil, false
	}
	return v, s.agreements[v.Seq], true
}

// LocationJSON is where a point lies under the terms in force.
type LocationJSON struct {
	// TermsSeq is the version of the terms used.
	TermsSeq int64 `json:"terms_seq"`
	// Party is the code of the party whose side the point is on.
	Party string     `json:"party"`
	Side  terms.Side `json:"side"`
	// SignedDistanceM is the geodesic distance to the contact line, positive
	// on the left side, negative on the right.
	SignedDistanceM float64 `json:"signed_distance_m"`
	DistanceM       float64 `json:"distance_m"`
	// Zones are the zones the point is in (buffer_zone, withdrawal:<class>).
	Zones []string `json:"zones"`
	// LinePoint is the nearest point of the contact line, [lon, lat].
	LinePoint [2]float64 `json:"line_point"`
}

// locate answers which side of the contact line a point is on, how far from
// it, and which zones it falls in, under the terms in force now or at ?at=.
func (s *Server) locate(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query string: %v", err)
		return
	}
	for k := range q {
		if k != "lon" && k != "lat" && k != "at" {
			writeError(w, http.StatusBadRequest, "unknown parameter %q (known: lon, lat, at)", k)
			return
		}
	}
	var p geo.LonLat
	for _, c := range []struct {
		name     string
		dst      *float64
		min, max float64
	}{{"lon", &p.Lon, -180, 180}, {"lat", &p.Lat, -90, 90}} {
		v, err := strconv.ParseFloat(q.Get(c.name), 64)
		if err != nil || !(v >= c.min && v <= c.max) { // also refuses NaN
			writeError(w, http.StatusBadRequest, "%s: want a number from %g to %g, got %q", c.name, c.min, c.max, q.Get(c.name))
			return
		}
		*c.dst = v
	}
	at := s.now()
	if v := q.Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "at: %q is not an RFC 3339 time", v)
			return
		}
		at = t
	}
	v, a, ok := s.agreementAt(at)
	if !ok {
		writeError(w, http.StatusNotFound, "no terms are in force at %s", at.UTC().Format(time.RFC3339))
		return
	}
	loc := a.Locate(p)
	zones := loc.Zones
	if zones == nil {
		zones = []string{}
	}
	writeJSON(w, http.StatusOK, LocationJSON{
		TermsSeq: v.Seq, Party: loc.Party, Side: loc.Side,
		SignedDistanceM: loc.SignedDistanceM, DistanceM: loc.DistanceM, Zones: zones,
		LinePoint: [2]float64{loc.LinePoint.Lon, loc.LinePoint.Lat},
	})
}

// weaponClasses returns the weapon class codes of the terms in force at t,
// or nil (any class) when none are. An observation's weapon class is checked
// against the terms in force when it was observed.
func (s *Server) weaponClasses(t time.Time) []string {
	v, ok := s.termsAt(t)
	if !ok {
		return nil
	}
	codes := make([]string, len(v.Terms.WeaponClasses))
	for i, c := range v.Terms.WeaponClasses {
		codes[i] = c.Code
	}
	return codes
}
