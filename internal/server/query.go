package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
)

// Page sizes of observation queries.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func (s *Server) getObservation(w http.ResponseWriter, r *http.Request) {
	o, err := s.visibleObservation(r, r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("observation %q", r.PathValue("id")), err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set(LogLeafHeader, strconv.FormatUint(o.Leaf, 10))
	w.Write(append(o.Feature, '\n'))
}

// LogLeafHeader carries a record's index in the tamper-evident log on the
// answer that returns the record.
const LogLeafHeader = "Guarantor-Log-Leaf"

// visibleObservation returns the observation with id if the reader may see
// it, and ErrNotFound otherwise: a record the reader may not see does not
// exist for them.
func (s *Server) visibleObservation(r *http.Request, id string) (store.StoredObservation, error) {
	o, err := s.cfg.Store.Observation(r.Context(), id)
	if err != nil {
		return o, err
	}
	if !s.visibility(r).Allows(o.Label) {
		return store.StoredObservation{}, fmt.Errorf("observation %q: %w", id, store.ErrNotFound)
	}
	return o, nil
}

// listObservations answers a query with a GeoJSON FeatureCollection whose
// features are the stored ones, byte for byte, so that it can be posted back.
func (s *Server) listObservations(w http.ResponseWriter, r *http.Request) {
	listFeatures(s, w, r, "observations", parseQuery, func(ctx context.Context, q store.Query, vis *label.Visibility) ([][]byte, string, error) {
		q.Visible = vis
		page, err := s.cfg.Store.QueryObservations(ctx, q)
		features := make([][]byte, len(page.Observations))
		for i, o := range page.Observations {
			features[i] = o.Feature
		}
		next := ""
		if page.Next != nil {
			next = encodeCursor(*page.Next)
		}
		return features, next, err
	})
}

// listFeatures answers a list request: it parses the query parameters,
// runs the query for the reader's visibility and answers the page of
// features (writeFeatures). A bad parameter is a 400 that names it.
func listFeatures[Q any](s *Server, w http.ResponseWriter, r *http.Request, what string, parse func(url.Values) (Q, error),
	run func(ctx context.Context, q Q, vis *label.Visibility) (features [][]byte, next string, err error)) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query string: %v", err)
		return
	}
	q, err := parse(vals)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	features, next, err := run(r.Context(), q, s.visibility(r))
	if err != nil {
		s.storeError(w, r, what, err)
		return
	}
	writeFeatures(w, r, features, next)
}

// writeFeatures answers a page of stored GeoJSON Features as a
// FeatureCollection with numberReturned and, when there is a next page, its
// cursor as next and as a link with rel=next.
func writeFeatures(w http.ResponseWriter, r *http.Request, features [][]byte, next string) {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, f := range features {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(f)
	}
	buf.WriteString(`],"numberReturned":`)
	buf.WriteString(strconv.Itoa(len(features)))
	if next != "" {
		u := *r.URL
		v := u.Query()
		v.Set("cursor", next)
		u.RawQuery = v.Encode()
		fmt.Fprintf(&buf, `,"next":%q,"links":`, next)
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode([]map[string]string{{"rel": "next", "type": "application/geo+json", "href": u.RequestURI()}})
	}
	buf.WriteString("}\n")
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(buf.Bytes())
}

// The times a query may name: store times are nanoseconds since 1970 in 64
// bits, which reach from 1677 to 2262.
var (
	minQueryTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxQueryTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

var queryParams = []string{"bbox", "from", "to", "kind", "source", "unassociated", "limit", "cursor"}

// parseQuery reads the query parameters of GET /api/v1/observations.
func parseQuery(v url.Values) (store.Query, error) {
	q := store.Query{Limit: DefaultLimit}
	for k := range v {
		if !slices.Contains(queryParams, k) {
			return q, fmt.Errorf("unknown parameter %q (known: %s)", k, strings.Join(queryParams, ", "))
		}
	}
	var err error
	if q.BBox, q.From, q.To, err = parseWhereWhen(v); err != nil {
		return q, err
	}
	if k := v.Get("kind"); k != "" {
		if !slices.Contains(observe.Kinds, observe.Kind(k)) {
			return q, fmt.Errorf("kind: unknown kind %q", k)
		}
		q.Kind = observe.Kind(k)
	}
	q.SourceID = v.Get("source")
	switch u := v.Get("unassociated"); u {
	case "", "false":
	case "true":
		q.Unassociated = true
	default:
		return q, fmt.Errorf("unassociated: want true or false, got %q", u)
	}
	if q.Limit, err = parseLimit(v); err != nil {
		return q, err
	}
	if c := v.Get("cursor"); c != "" {
		cur, err := decodeCursor(c)
		if err != nil {
			return q, err
		}
		q.After = &cur
	}
	return q, nil
}

// parseWhereWhen reads the bbox, from and to parameters that observation
// and incident queries share.
func parseWhereWhen(v url.Values) (bbox *[4]float64, from, to time.Time, err error) {
	if b := v.Get("bbox"); b != "" {
		box, err := parseBBox(b)
		if err != nil {
			return nil, from, to, err
		}
		bbox = &box
	}
	if from, err = parseTimeParam(v, "from"); err != nil {
		return nil, from, to, err
	}
	if to, err = parseTimeParam(v, "to"); err != nil {
		return nil, from, to, err
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return nil, from, to, fmt.Errorf("from (%s) must be before to (%s)", v.Get("from"), v.Get("to"))
	}
	return bbox, from, to, nil
}

// parseLimit reads the page size.
func parseLimit(v url.Values) (int, error) {
	l := v.Get("limit")
	if l == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, fmt.Errorf("limit: must be a whole number from 1 to %d, got %q", MaxLimit, l)
	}
	return n, nil
}

func parseBBox(s string) ([4]float64, error) {
	var b [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return b, fmt.Errorf("bbox: want west,south,east,north in degrees, got %q", s)
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return b, fmt.Errorf("bbox: %q is not a finite number", p)
		}
		b[i] = f
	}
	switch {
	case b[0] < -180 || b[0] > 180 || b[2] < -180 || b[2] > 180:
		return b, fmt.Errorf("bbox: longitudes must be within -180 to 180")
	case b[1] < -90 || b[1] > 90 || b[3] < -90 || b[3] > 90:
		return b, fmt.Errorf("bbox: latitudes must be within -90 to 90")
	case b[1] > b[3]:
		return b, fmt.Errorf("bbox: south (%g) is north of north (%g)", b[1], b[3])
	}
	return b, nil
}

func parseTimeParam(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time such as 2026-11-21T06:00:00Z", name, s)
	}
	if t.Before(minQueryTime) || t.After(maxQueryTime) {
		return time.Time{}, fmt.Errorf("%s: %s is outside the years 1900 to 2200", name, s)
	}
	return t, nil
}

// Cursors are opaque to clients: the parts of the position of the last
// record returned, joined by ':' (the last part may hold ':' itself) and
// encoded in URL-safe base64.
func encodeCursorParts(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, ":")))
}

// encodeTimeCursor is the cursor of a record ordered by a time and its id.
func encodeTimeCursor(t time.Time, id string) string {
	return encodeCursorParts(strconv.FormatInt(t.UnixNano(), 10), id)
}

// decodeTimeCursor opens a cursor of encodeTimeCursor.
func decodeTimeCursor(s string) (time.Time, string, error) {
	ints, id, err := cursorParts(s, 2)
	if err != nil {
		return time.Time{}, "", err
	}
	return time.Unix(0, ints[0]).UTC(), id, nil
}

// cursorParts opens a cursor of n parts, the first n-1 of them Unix
// nanoseconds or other integers (ints), the last a non-empty string.
func cursorParts(s string, n int) (ints []int64, last string, err error) {
	bad := fmt.Errorf("cursor: %q is not a cursor returned by this server", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, "", bad
	}
	parts := strings.SplitN(string(raw), ":", n)
	if len(parts) != n || parts[n-1] == "" {
		return nil, "", bad
	}
	for _, p := range parts[:n-1] {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, "", bad
		}
		ints = append(ints, v)
	}
	return ints, parts[n-1], nil
}

// An observation cursor is its time and arrival order.
func encodeCursor(c store.Cursor) string {
	return encodeCursorParts(strconv.FormatInt(c.ObservedAt.UnixNano(), 10), strconv.FormatInt(c.Seq, 10))
}

func decodeCursor(s string) (store.Cursor, error) {
	ints, last, err := cursorParts(s, 2)
	if err != nil {
		return store.Cursor{}, err
	}
	seq, err := strconv.ParseInt(last, 10, 64)
	if err != nil {
		return store.Cursor{}, fmt.Errorf("cursor: %q is not a cursor returned by this server", s)
	}
	return store.Cursor{ObservedAt: time.Unix(0, ints[0]).UTC(), Seq: seq}, nil
}
