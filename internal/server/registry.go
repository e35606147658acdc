package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// maxRegistryBody bounds the body of sensor and terms uploads.
const maxRegistryBody = 32 << 20

// SensorsResult is the answer to a POST of sensors.
type SensorsResult struct {
	// Accepted counts sensors stored (added or replaced).
	Accepted int `json:"accepted"`
	// Rejected counts sensors refused for the reasons in Errors.
	Rejected int `json:"rejected"`
	// Errors lists what was wrong, one entry per field problem.
	Errors []ItemError `json:"errors"`
}

// postSensors registers sensors: a JSON array of sensors. Valid ones are
// stored (replacing a sensor with the same id); invalid ones are listed.
func (s *Server) postSensors(w http.ResponseWriter, r *http.Request) {
	body, ok := readAll(w, r, maxRegistryBody)
	if !ok {
		return
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be a JSON array of sensors: %v", err)
		return
	}
	res := SensorsResult{Errors: []ItemError{}}
	var good []observe.Sensor
	for i, raw := range raws {
		var sn observe.Sensor
		if err := observe.UnmarshalStrict(raw, &sn); err != nil {
			res.Rejected++
			fe := observe.JSONError(err)
			res.Errors = append(res.Errors, ItemError{Index: i, Field: fe.Field, Reason: fe.Reason})
			continue
		}
		sn.Releasability = sn.Releasability.Normalize()
		if errs := observe.CheckSensor(sn); len(errs) > 0 {
			res.Rejected++
			for _, e := range errs {
				res.Errors = append(res.Errors, ItemError{Index: i, ID: sn.ID, Field: e.Field, Reason: e.Reason})
			}
			continue
		}
		good = append(good, sn)
	}
	if len(good) > 0 {
		if err := s.cfg.Store.PutSensors(r.Context(), good); err != nil {
			s.storeError(w, r, "sensors", err)
			return
		}
	}
	res.Accepted = len(good)
	status := http.StatusOK
	if res.Accepted == 0 && res.Rejected > 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, res)
}

func (s *Server) listSensors(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Store.ListSensors(r.Context())
	if err != nil {
		s.storeError(w, r, "sensors", err)
		return
	}
	if list == nil {
		list = []observe.Sensor{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getSensor(w http.ResponseWriter, r *http.Request) {
	sn, err := s.cfg.Store.Sensor(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("sensor %q", r.PathValue("id")), err)
		return
	}
	writeJSON(w, http.StatusOK, sn)
}

// termsVersionJSON is how a terms version is shown.
type termsVersionJSON struct {
	Seq      int64       `json:"seq"`
	LoadedAt time.Time   `json:"loaded_at"`
	InForce  bool        `json:"in_force"`
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
	writeJSON(w, http.StatusOK, termsVersionJSON{Seq: v.Seq, LoadedAt: v.LoadedAt, InForce: true, Terms: v.Terms})
}

func (s *Server) listTermsVersions(w http.ResponseWriter, r *http.Request) {
	s.termsMu.RLock()
	all := s.terms
	s.termsMu.RUnlock()
	current, ok := store.InForce(all, s.now())
	out := make([]termsVersionJSON, len(all))
	for i, v := range all {
		out[i] = termsVersionJSON{Seq: v.Seq, LoadedAt: v.LoadedAt, InForce: ok && v.Seq == current.Seq, Terms: v.Terms}
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
	v, err := s.cfg.Store.AddTerms(ctx, t)
	if err != nil {
		return v, err
	}
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

func (s *Server) termsAt(t time.Time) (store.TermsVersion, bool) {
	s.termsMu.RLock()
	defer s.termsMu.RUnlock()
	return store.InForce(s.terms, t)
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

// readAll reads a bounded body, answering 413 when it is too large.
func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "body is larger than the limit of %d bytes", limit)
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "body is larger than the limit of %d bytes", limit)
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "reading the body: %v", err)
		return nil, false
	}
	return b, true
}
