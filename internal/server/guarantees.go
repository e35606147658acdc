package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/trigger"
)

// MaxRegistryBody is the largest registry document or CSV accepted.
const MaxRegistryBody = 64 << 20

// LoadRegistry merges r into the stored registry: its guarantors,
// instruments and commitments replace those with the same code or id. The
// merged registry must validate and its trigger clauses compile, or nothing
// is stored; the error names every problem.
func (s *Server) LoadRegistry(ctx context.Context, r guarantee.Registry) error {
	s.registryWrites.Lock()
	defer s.registryWrites.Unlock()
	return s.loadRegistry(ctx, r)
}

// loadRegistry is LoadRegistry, with registryWrites held.
func (s *Server) loadRegistry(ctx context.Context, r guarantee.Registry) error {
	have, err := s.registry(ctx)
	if err != nil {
		return err
	}
	merged := mergeRegistry(have, r)
	if err := merged.Validate(); err != nil {
		return &registryError{err}
	}
	if _, err := trigger.Compile(registryClauses(merged)); err != nil {
		return &registryError{err}
	}
	return s.cfg.Store.PutRegistry(ctx, r)
}

// registry returns the stored registry, read again only when it has
// changed since the last read (RegistryVersion). Callers must not modify
// it: it is shared.
func (s *Server) registry(ctx context.Context) (guarantee.Registry, error) {
	v, err := s.cfg.Store.RegistryVersion(ctx)
	if err != nil {
		return guarantee.Registry{}, err
	}
	s.registryMu.Lock()
	defer s.registryMu.Unlock()
	if s.registryCache.ok && s.registryCache.version == v {
		return s.registryCache.reg, nil
	}
	reg, err := s.cfg.Store.LoadRegistry(ctx)
	if err != nil {
		return reg, err
	}
	s.registryCache.version, s.registryCache.reg, s.registryCache.ok = v, reg, true
	return reg, nil
}

// registryError is a registry that does not validate: the client's to fix.
type registryError struct{ err error }

func (e *registryError) Error() string { return e.err.Error() }
func (e *registryError) Unwrap() error { return e.err }

// mergeRegistry returns have with the records of r replacing those with the
// same key, and r's new records added.
func mergeRegistry(have, r guarantee.Registry) guarantee.Registry {
	out := guarantee.Registry{
		Guarantors:  mergeBy(have.Guarantors, r.Guarantors, func(g guarantee.Guarantor) string { return g.Code }),
		Instruments: mergeBy(have.Instruments, r.Instruments, func(in guarantee.Instrument) string { return in.ID }),
		Commitments: mergeBy(have.Commitments, r.Commitments, func(c guarantee.Commitment) string { return c.ID }),
	}
	return out
}

func mergeBy[T any](have, add []T, key func(T) string) []T {
	at := make(map[string]int, len(have))
	out := slices.Clone(have)
	for i, v := range out {
		at[key(v)] = i
	}
	for _, v := range add {
		if i, ok := at[key(v)]; ok {
			out[i] = v
			continue
		}
		at[key(v)] = len(out)
		out = append(out, v)
	}
	return out
}

// registryClauses lists the trigger clauses of every instrument, each
// naming its instrument.
func registryClauses(r guarantee.Registry) []trigger.Clause {
	var out []trigger.Clause
	for _, in := range r.Instruments {
		for _, c := range in.Clauses {
			c.Instrument = in.ID
			out = append(out, c)
		}
	}
	return out
}

// postRegistry answers POST /api/v1/registry: the secretariat loads
// guarantors, instruments and commitments as YAML or JSON (a registry
// document, docs/registry-formats.md), or commitments as CSV.
func (s *Server) postRegistry(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRegistryBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "the registry is larger than %d bytes, or could not be read: %v", MaxRegistryBody, err)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var reg guarantee.Registry
	switch mt {
	case "text/csv":
		reg.Commitments, err = guarantee.ReadCommitmentsCSV(bytes.NewReader(body))
	case "application/yaml", "application/x-yaml", "text/yaml", "application/json", "":
		reg, err = guarantee.ParseYAML(body, "request body")
	default:
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type %q is not accepted: send application/yaml, application/json or text/csv (commitments)", mt)
		return
	}
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "%v", err)
		return
	}
	if err := s.LoadRegistry(r.Context(), reg); err != nil {
		var re *registryError
		if errors.As(err, &re) {
			writeError(w, http.StatusUnprocessableEntity, "%v", err)
			return
		}
		s.storeError(w, r, "registry", err)
		return
	}
	s.wakeGuarantees()
	writeJSON(w, http.StatusOK, map[string]int{
		"guarantors": len(reg.Guarantors), "instruments": len(reg.Instruments), "commitments": len(reg.Commitments)})
}

// getRegistry answers GET /api/v1/registry: the whole registry as YAML
// (the default) or JSON, in the form POST /api/v1/registry reads.
func (s *Server) getRegistry(w http.ResponseWriter, r *http.Request) {
	format, ok := s.formatParam(w, r, "yaml", "yaml", "json")
	if !ok {
		return
	}
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "registry", err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, reg)
		return
	}
	var buf bytes.Buffer
	if err := reg.WriteYAML(&buf); err != nil {
		s.storeError(w, r, "registry", err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(buf.Bytes())
}

// formatParam reads the format parameter, the only one a route takes: one
// of allowed, def when absent. It answers 400 itself when it is wrong.
func (s *Server) formatParam(w http.ResponseWriter, r *http.Request, def string, allowed ...string) (string, bool) {
	return s.params(w, r, def, allowed, nil)
}

// params checks that a request has only the known parameters and reads
// format; it answers 400 itself when a parameter is wrong.
func (s *Server) params(w http.ResponseWriter, r *http.Request, def string, formats, known []string) (string, bool) {
	v := r.URL.Query()
	known = append(slices.Clone(known), "format")
	for k := range v {
		if !slices.Contains(known, k) {
			writeError(w, http.StatusBadRequest, "unknown parameter %q (known: %s)", k, strings.Join(known, ", "))
			return "", false
		}
	}
	f := v.Get("format")
	if f == "" {
		return def, true
	}
	if !slices.Contains(formats, f) {
		writeError(w, http.StatusBadRequest, "format: %q is not one of %s", f, strings.Join(formats, ", "))
		return "", false
	}
	return f, true
}

// listGuarantors answers GET /api/v1/guarantors.
func (s *Server) listGuarantors(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.params(w, r, "json", []string{"json"}, nil); !ok {
		return
	}
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "guarantors", err)
		return
	}
	writeJSON(w, http.StatusOK, orEmpty(reg.Guarantors))
}

// getGuarantor answers GET /api/v1/guarantors/{code}: the guarantor with
// its instruments and the totals of its commitments.
func (s *Server) getGuarantor(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "guarantor", err)
		return
	}
	g, ok := reg.Guarantor(code)
	if !ok {
		writeError(w, http.StatusNotFound, "guarantor %q not found", code)
		return
	}
	var ins []string
	for _, in := range reg.Instruments {
		if slices.Contains(in.Signatories, code) {
			ins = append(ins, in.ID)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		guarantee.Guarantor
		Instruments []string        `json:"instruments"`
		Totals      []guarantee.Row `json:"totals"`
	}{g, orEmpty(ins), orEmpty(reg.Totals(guarantee.ByGuarantor, guarantee.Filter{Guarantor: code}))})
}

// listInstruments answers GET /api/v1/instruments.
func (s *Server) listInstruments(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.params(w, r, "json", []string{"json"}, nil); !ok {
		return
	}
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "instruments", err)
		return
	}
	writeJSON(w, http.StatusOK, orEmpty(reg.Instruments))
}

// getInstrument answers GET /api/v1/instruments/{id}.
func (s *Server) getInstrument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "instrument", err)
		return
	}
	in, ok := reg.Instrument(id)
	if !ok {
		writeError(w, http.StatusNotFound, "instrument %q not found", id)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// listClauses answers GET /api/v1/clauses: every trigger clause, each
// naming its instrument.
func (s *Server) listClauses(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.params(w, r, "json", []string{"json"}, nil); !ok {
		return
	}
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "clauses", err)
		return
	}
	writeJSON(w, http.StatusOK, orEmpty(registryClauses(reg)))
}

// getClause answers GET /api/v1/clauses/{id}.
func (s *Server) getClause(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "clause", err)
		return
	}
	for _, c := range registryClauses(reg) {
		if c.ID == id {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, http.StatusNotFound, "clause %q not found", id)
}

var commitmentParams = []string{"guarantor", "category", "instrument", "limit", "cursor"}

// listCommitments answers GET /api/v1/commitments: commitments by id,
// filtered and paged, as JSON, or all that match as CSV (format=csv).
func (s *Server) listCommitments(w http.ResponseWriter, r *http.Request) {
	format, ok := s.params(w, r, "json", []string{"json", "csv"}, commitmentParams)
	if !ok {
		return
	}
	v := r.URL.Query()
	q := store.CommitmentQuery{Guarantor: v.Get("guarantor"), Category: v.Get("category"), Instrument: v.Get("instrument"), After: v.Get("cursor")}
	if c := q.Category; c != "" && !guarantee.Category(c).Known() {
		writeError(w, http.StatusBadRequest, "category: unknown category %q", c)
		return
	}
	var err error
	if q.Limit, err = parseLimit(v); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if format == "csv" {
		var all []guarantee.Commitment
		q.Limit = MaxLimit
		for {
			page, err := s.cfg.Store.QueryCommitments(r.Context(), q)
			if err != nil {
				s.storeError(w, r, "commitments", err)
				return
			}
			all = append(all, page.Commitments...)
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		var buf bytes.Buffer
		if err := guarantee.WriteCommitmentsCSV(&buf, all); err != nil {
			s.storeError(w, r, "commitments", err)
			return
		}
		writeCSV(w, "commitments.csv", buf.Bytes())
		return
	}
	page, err := s.cfg.Store.QueryCommitments(r.Context(), q)
	if err != nil {
		s.storeError(w, r, "commitments", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Commitments []guarantee.Commitment `json:"commitments"`
		Next        string                 `json:"next,omitempty"`
	}{orEmpty(page.Commitments), page.Next})
}

// writeCSV answers with a CSV file.
func writeCSV(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Write(b)
}

// getCommitment answers GET /api/v1/commitments/{id}: the commitment, its
// delivered total, and what is inconsistent in it.
func (s *Server) getCommitment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.cfg.Store.Commitment(r.Context(), id)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("commitment %q", id), err)
		return
	}
	writeJSON(w, http.StatusOK, commitmentJSON(c))
}

// commitmentJSON is a commitment as the API answers one: with its
// delivered total, its measure and what is inconsistent in it.
func commitmentJSON(c guarantee.Commitment) any {
	return struct {
		guarantee.Commitment
		Delivered       float64  `json:"delivered"`
		Measure         string   `json:"measure"`
		Inconsistencies []string `json:"inconsistencies"`
	}{c, c.Delivered(), c.Measure(), orEmpty(guarantee.Inconsistencies(c))}
}

// postDelivery answers POST /api/v1/commitments/{id}/deliveries: the
// secretariat records a delivery ({"date", "amount", "note"}).
func (s *Server) postDelivery(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var d guarantee.Delivery
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be {"id": "your-id-for-it", "date": "2026-11-21", "amount": 1000, "note": "..."} (id and note optional): %v`, err)
		return
	}
	// The commitment is read and written back whole: no other change may
	// come between, or one of two deliveries at once would be lost.
	s.registryWrites.Lock()
	defer s.registryWrites.Unlock()
	c, err := s.cfg.Store.Commitment(r.Context(), id)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("commitment %q", id), err)
		return
	}
	// A delivery sent again with its id is the one recorded: the answer is
	// the same, and nothing is added.
	if d.ID != "" {
		if i := slices.IndexFunc(c.Deliveries, func(x guarantee.Delivery) bool { return x.ID == d.ID }); i >= 0 {
			if c.Deliveries[i] != d {
				writeError(w, http.StatusConflict, "commitment %q already has a delivery with id %q, of %s on %s: a new delivery needs a new id", id, d.ID, strconv.FormatFloat(c.Deliveries[i].Amount, 'f', -1, 64), c.Deliveries[i].Date)
				return
			}
			writeJSON(w, http.StatusOK, commitmentJSON(c))
			return
		}
	}
	c.Deliveries = append(c.Deliveries, d)
	if err := s.loadRegistry(r.Context(), guarantee.Registry{Commitments: []guarantee.Commitment{c}}); err != nil {
		var re *registryError
		if errors.As(err, &re) {
			writeError(w, http.StatusUnprocessableEntity, "%v", err)
			return
		}
		s.storeError(w, r, "delivery", err)
		return
	}
	writeJSON(w, http.StatusCreated, commitmentJSON(c))
}

var analyticsParams = []string{"by", "guarantor", "category", "measure", "from", "to"}

// getCommitmentTotals answers GET /api/v1/analytics/commitments: committed,
// allocated and delivered by guarantor, category or instrument, each row in
// one measure (a currency or a unit), as JSON for charts or as CSV.
func (s *Server) getCommitmentTotals(w http.ResponseWriter, r *http.Request) {
	s.analytics(w, r, "commitments-by-", func(reg guarantee.Registry, by guarantee.GroupBy, f guarantee.Filter) (any, func(io.Writer) error) {
		rows := reg.Totals(by, f)
		return struct {
				By   guarantee.GroupBy `json:"by"`
				Rows []guarantee.Row   `json:"rows"`
			}{by, orEmpty(rows)},
			func(w io.Writer) error { return guarantee.WriteRowsCSV(w, rows) }
	})
}

// getCommitmentSeries answers GET /api/v1/analytics/commitments/series:
// cumulative committed and delivered by month.
func (s *Server) getCommitmentSeries(w http.ResponseWriter, r *http.Request) {
	s.analytics(w, r, "commitments-series-by-", func(reg guarantee.Registry, by guarantee.GroupBy, f guarantee.Filter) (any, func(io.Writer) error) {
		var iv guarantee.Interval
		if !f.From.IsZero() {
			iv.From = f.From.Month()
		}
		if !f.To.IsZero() {
			iv.To = f.To.Month()
		}
		points := reg.Series(by, f.Measure, iv)
		return struct {
				By     guarantee.GroupBy `json:"by"`
				Points []guarantee.Point `json:"points"`
			}{by, orEmpty(points)},
			func(w io.Writer) error { return guarantee.WriteSeriesCSV(w, points) }
	})
}

// analytics answers an analytics request: it reads the grouping, the
// filter and the format, and answers compute's JSON, or its CSV as a file
// named prefix and the grouping.
func (s *Server) analytics(w http.ResponseWriter, r *http.Request, prefix string,
	compute func(guarantee.Registry, guarantee.GroupBy, guarantee.Filter) (any, func(io.Writer) error)) {
	format, ok := s.params(w, r, "json", []string{"json", "csv"}, analyticsParams)
	if !ok {
		return
	}
	by, f, ok := analyticsQuery(w, r.URL.Query())
	if !ok {
		return
	}
	reg, err := s.registry(r.Context())
	if err != nil {
		s.storeError(w, r, "commitments", err)
		return
	}
	out, writeCSVTo := compute(reg, by, f)
	if format == "json" {
		writeJSON(w, http.StatusOK, out)
		return
	}
	var buf bytes.Buffer
	if err := writeCSVTo(&buf); err != nil {
		s.storeError(w, r, "commitments", err)
		return
	}
	writeCSV(w, prefix+string(by)+".csv", buf.Bytes())
}

// analyticsQuery reads the grouping and the filter of an analytics request.
func analyticsQuery(w http.ResponseWriter, v url.Values) (guarantee.GroupBy, guarantee.Filter, bool) {
	by := guarantee.GroupBy(v.Get("by"))
	if by == "" {
		by = guarantee.ByGuarantor
	}
	if !by.Valid() {
		writeError(w, http.StatusBadRequest, "by: %q is not guarantor, category or instrument", by)
		return by, guarantee.Filter{}, false
	}
	f := guarantee.Filter{Guarantor: v.Get("guarantor"), Category: guarantee.Category(v.Get("category")), Measure: v.Get("measure")}
	if f.Category != "" && !f.Category.Known() {
		writeError(w, http.StatusBadRequest, "category: unknown category %q", f.Category)
		return by, f, false
	}
	for _, p := range []struct {
		name string
		d    *guarantee.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := v.Get(p.name); s != "" {
			d, err := guarantee.ParseDate(s)
			if err != nil {
				writeError(w, http.StatusBadRequest, "%s: %q is not a date such as 2026-11-21", p.name, s)
				return by, f, false
			}
			*p.d = d
		}
	}
	return by, f, true
}

// orEmpty returns s, or an empty slice for nil, so that JSON says [] and
// not null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
