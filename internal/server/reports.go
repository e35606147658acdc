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

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/report"
	"github.com/guarantor-project/guarantor/internal/store"
)

// DailyQuery asks for a daily report.
type DailyQuery struct {
	// Date is the report's calendar day.
	Date time.Time
	// CutoffHour (UTC) is when the report's day begins.
	CutoffHour int
	// Public asks for the public version: PUBLIC records only.
	Public bool
	// Visible, when set, keeps only the records a reader may see; the
	// command line, run by whoever holds the database, leaves it nil.
	Visible *label.Visibility
	// Scheme is the classification scheme; the zero value means
	// label.DefaultScheme.
	Scheme label.Scheme
	// Generated is when the report is made.
	Generated time.Time
}

// ErrNoTerms means that no terms were in force at the time asked about.
var ErrNoTerms = errors.New("no terms were in force")

// reportPage is how many records DailyReport reads from the store at once.
const reportPage = 5000

// DailyReport reads the records of a report's day and of the day before
// from st, under the terms in force at the end of the day, and builds the
// report (see package report).
func DailyReport(ctx context.Context, st store.Store, q DailyQuery) (report.Report, error) {
	y, m, d := q.Date.Date()
	if q.Date.IsZero() || q.CutoffHour < 0 || q.CutoffHour > 23 {
		// report.Build says what is wrong.
		return report.Build(report.Input{Date: q.Date, CutoffHour: q.CutoffHour})
	}
	start := time.Date(y, m, d, q.CutoffHour, 0, 0, 0, time.UTC)
	from, to := start.Add(-24*time.Hour), start.Add(24*time.Hour)
	versions, err := st.ListTerms(ctx)
	if err != nil {
		return report.Report{}, fmt.Errorf("daily report: %w", err)
	}
	inForce, ok := store.InForce(versions, to.Add(-time.Nanosecond))
	if !ok {
		return report.Report{}, fmt.Errorf("daily report %s: %w by the end of the day; load the terms first", start.Format(time.DateOnly), ErrNoTerms)
	}
	in := report.Input{Date: q.Date, CutoffHour: q.CutoffHour, Terms: inForce.Terms, Scheme: q.Scheme, Public: q.Public, Generated: q.Generated}
	if in.Violations, err = reportViolations(ctx, st, from, to, q.Visible); err != nil {
		return report.Report{}, fmt.Errorf("daily report: %w", err)
	}
	if in.Incidents, err = reportIncidents(ctx, st, from, to, q.Visible); err != nil {
		return report.Report{}, fmt.Errorf("daily report: %w", err)
	}
	if in.Restrictions, err = reportRestrictions(ctx, st, from, to, q.Visible); err != nil {
		return report.Report{}, fmt.Errorf("daily report: %w", err)
	}
	return report.Build(in)
}

// reportViolations reads the current candidates of [from, to) with the
// facts the report cites from their Features.
func reportViolations(ctx context.Context, st store.Store, from, to time.Time, vis *label.Visibility) ([]report.Violation, error) {
	var out []report.Violation
	q := store.CandidateQuery{From: from, To: to, Visible: vis, Limit: reportPage}
	for {
		page, err := st.QueryCandidates(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Candidates {
			var f struct {
				Geometry struct {
					Coordinates []float64 `json:"coordinates"`
				} `json:"geometry"`
				Properties struct {
					Clause      string  `json:"clause"`
					WeaponClass string  `json:"weapon_class"`
					DistanceM   float64 `json:"distance_m"`
					WithdrawalM float64 `json:"withdrawal_m"`
					Reason      string  `json:"reason"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(c.Feature, &f); err != nil {
				return nil, fmt.Errorf("candidate %s: %w", c.ID, err)
			}
			v := report.Violation{ID: c.ID, Type: c.Type, Clause: f.Properties.Clause, Party: c.Party, Severity: c.Severity,
				Incident: c.Incident, Time: c.Time, WeaponClass: f.Properties.WeaponClass, DistanceM: f.Properties.DistanceM,
				WithdrawalM: f.Properties.WithdrawalM, State: c.State, Reason: f.Properties.Reason, Label: c.Label}
			if len(f.Geometry.Coordinates) >= 2 {
				v.Position = geo.LonLat{Lon: f.Geometry.Coordinates[0], Lat: f.Geometry.Coordinates[1]}
			}
			out = append(out, v)
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// reportIncidents reads the incidents that start in [from, to), each at
// the centre of its box.
func reportIncidents(ctx context.Context, st store.Store, from, to time.Time, vis *label.Visibility) ([]report.Incident, error) {
	var out []report.Incident
	q := store.IncidentQuery{From: from, To: to, Visible: vis, Limit: reportPage}
	for {
		page, err := st.QueryIncidents(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, in := range page.Incidents {
			if in.Start.Before(from) {
				continue // it began before the window and lasted into it
			}
			b := in.BBox
			out = append(out, report.Incident{ID: in.ID, Class: in.Class, Time: in.Start, Party: in.Party, Label: in.Label,
				Position: geo.LonLat{Lon: (b[0] + b[2]) / 2, Lat: (b[1] + b[3]) / 2}})
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// reportRestrictions reads the restrictions of access of [from, to).
func reportRestrictions(ctx context.Context, st store.Store, from, to time.Time, vis *label.Visibility) ([]report.Restriction, error) {
	var out []report.Restriction
	q := store.RestrictionQuery{From: from, To: to, Visible: vis, Limit: reportPage}
	for {
		page, err := st.QueryRestrictions(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Restrictions {
			r := rec.Restriction
			out = append(out, report.Restriction{ID: r.ID, Time: r.Time, Position: r.Position, Party: r.Party,
				Checkpoint: r.Checkpoint, Reason: r.Reason, PatrolSize: r.PatrolSize, Delay: r.Delay, Denied: r.Denied, Label: r.Label})
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

var dailyParams = []string{"date", "public", "format"}

// getDailyReport answers GET /api/v1/reports/daily?date=D: the daily
// report of what the reader may see, as JSON or, with format=html or an
// Accept header that prefers HTML, as a page to read and print. With
// public=true it is the public version.
func (s *Server) getDailyReport(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	for k := range v {
		if !slices.Contains(dailyParams, k) {
			writeError(w, http.StatusBadRequest, "unknown parameter %q (known: %s)", k, strings.Join(dailyParams, ", "))
			return
		}
	}
	date, err := time.Parse(time.DateOnly, v.Get("date"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "date: %q is not a date such as 2026-11-21 (the report's day, which begins at %02d:00 UTC)", v.Get("date"), s.cfg.ReportCutoffHour)
		return
	}
	public := false
	if p := v.Get("public"); p != "" {
		if public, err = strconv.ParseBool(p); err != nil {
			writeError(w, http.StatusBadRequest, "public: %q is not true or false", p)
			return
		}
	}
	format, err := reportFormat(v, r.Header.Get("Accept"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	rep, err := DailyReport(r.Context(), s.cfg.Store, DailyQuery{Date: date, CutoffHour: s.cfg.ReportCutoffHour, Public: public,
		Visible: s.visibility(r), Scheme: s.cfg.Scheme, Generated: s.now().UTC()})
	if errors.Is(err, ErrNoTerms) {
		writeError(w, http.StatusNotFound, "%v", err)
		return
	}
	if err != nil {
		s.storeError(w, r, "daily report", err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	var buf bytes.Buffer
	if err := rep.HTML(&buf); err != nil {
		s.storeError(w, r, "daily report", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// reportFormat picks json or html: the format parameter, or else the
// Accept header's preference, or else JSON.
func reportFormat(v url.Values, accept string) (string, error) {
	switch f := v.Get("format"); f {
	case "json", "html":
		return f, nil
	case "":
	default:
		return "", fmt.Errorf("format: %q is not json or html", f)
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/html":
			return "html", nil
		case "application/json":
			return "json", nil
		}
	}
	return "json", nil
}
