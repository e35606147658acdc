package server

import (
	"bytes"
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

	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

var incidentParams = []string{"bbox", "from", "to", "class", "party", "confidence", "limit", "cursor"}

// listIncidents answers GET /api/v1/incidents with a GeoJSON
// FeatureCollection of the incidents the reader may see, newest first.
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	listFeatures(s, w, r, "incidents", parseIncidentQuery, func(ctx context.Context, q store.IncidentQuery, vis *label.Visibility) ([][]byte, string, error) {
		q.Visible = vis
		page, err := s.cfg.Store.QueryIncidents(ctx, q)
		features := make([][]byte, len(page.Incidents))
		for i, in := range page.Incidents {
			features[i] = in.Feature
		}
		next := ""
		if page.Next != nil {
			next = encodeIncidentCursor(*page.Next)
		}
		return features, next, err
	})
}

// parseIncidentQuery reads the query parameters of GET /api/v1/incidents.
func parseIncidentQuery(v url.Values) (store.IncidentQuery, error) {
	q := store.IncidentQuery{Limit: DefaultLimit}
	for k := range v {
		if !slices.Contains(incidentParams, k) {
			return q, fmt.Errorf("unknown parameter %q (known: %s)", k, strings.Join(incidentParams, ", "))
		}
	}
	var err error
	if q.BBox, q.From, q.To, err = parseWhereWhen(v); err != nil {
		return q, err
	}
	switch c := v.Get("class"); c {
	case "", string(fusion.ClassFire), string(fusion.ClassEquipment):
		q.Class = c
	default:
		return q, fmt.Errorf("class: unknown class %q (known: %s, %s)", c, fusion.ClassFire, fusion.ClassEquipment)
	}
	switch c := v.Get("confidence"); c {
	case "", string(fusion.SingleSource), string(fusion.Corroborated):
		q.Confidence = c
	default:
		return q, fmt.Errorf("confidence: unknown level %q (known: %s, %s)", c, fusion.SingleSource, fusion.Corroborated)
	}
	q.Party = v.Get("party")
	if q.Limit, err = parseLimit(v); err != nil {
		return q, err
	}
	if c := v.Get("cursor"); c != "" {
		cur, err := decodeIncidentCursor(c)
		if err != nil {
			return q, err
		}
		q.After = &cur
	}
	return q, nil
}

// An incident cursor is the start time and id of the last incident returned.
func encodeIncidentCursor(c store.IncidentCursor) string { return encodeTimeCursor(c.Start, c.ID) }

func decodeIncidentCursor(s string) (store.IncidentCursor, error) {
	t, id, err := decodeTimeCursor(s)
	return store.IncidentCursor{Start: t, ID: id}, err
}

// getIncident answers GET /api/v1/incidents/{id}: the incident's Feature
// with, under "observations", a FeatureCollection of the observations it
// rests on. A reader who may see the incident may see each of them: an
// incident's label is the most restrictive of theirs.
func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	in, err := s.cfg.Store.Incident(r.Context(), id, s.visibility(r))
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("incident %q", id), err)
		return
	}
	var buf bytes.Buffer
	feature := bytes.TrimSuffix(bytes.TrimSpace(in.Feature), []byte("}"))
	buf.Write(feature)
	buf.WriteString(`,"observations":{"type":"FeatureCollection","features":[`)
	n := 0
	for _, oid := range in.Observations {
		o, err := s.visibleObservation(r, oid)
		if errors.Is(err, store.ErrNotFound) {
			continue // cannot happen while labels only grow more restrictive
		}
		if err != nil {
			s.storeError(w, r, fmt.Sprintf("observation %q", oid), err)
			return
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(o.Feature)
		n++
	}
	fmt.Fprintf(&buf, `],"numberReturned":%d}}`+"\n", n)
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(buf.Bytes())
}

// Streams send a comment at least this often, so that proxies keep the
// connection open and a client notices a dead one.
const streamHeartbeat = 15 * time.Second

// streamIncidents answers GET /api/v1/incidents/stream with server-sent
// events: one "incident" event per incident created or changed (its
// Feature; a merged one has merged_into), with the store's sequence number
// as the event id. A client that reconnects with Last-Event-ID (or
// ?after=N) receives what it missed; without, the stream starts with what
// changes from now on.
func (s *Server) streamIncidents(w http.ResponseWriter, r *http.Request) {
	s.streamEvents(w, r, "incident", s.cfg.Store.LastIncidentSeq,
		func(ctx context.Context, after int64, vis *label.Visibility) ([]streamed, error) {
			recs, err := s.cfg.Store.IncidentsSince(ctx, after, vis, MaxLimit)
			out := make([]streamed, len(recs))
			for i, in := range recs {
				out[i] = streamed{seq: in.Seq, feature: in.Feature}
			}
			return out, err
		})
}

// streamed is one record a stream sends: its sequence number and JSON.
type streamed struct {
	seq     int64
	feature []byte
	// name names the event when it differs from the stream's name.
	name string
}

// streamEvents answers a stream of server-sent events named name: the
// records since the client's last event id (Last-Event-ID, or ?after=N),
// or from now on without one, and then each as it is written. Records
// come from since, filtered by the reader's labels; last gives where "now"
// is. Fusion's writes wake it; a comment every streamHeartbeat keeps the
// connection open.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, name string,
	last func(context.Context) (int64, error),
	since func(ctx context.Context, after int64, vis *label.Visibility) ([]streamed, error)) {
	after := int64(-1)
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "after: %q is not an event id this server sent", v)
			return
		}
		after = n
	}
	for k := range r.URL.Query() {
		if k != "after" {
			writeError(w, http.StatusBadRequest, "unknown parameter %q (known: after)", k)
			return
		}
	}
	vis := s.visibility(r)
	ctx := r.Context()
	if after < 0 { // from now on
		n, err := last(ctx)
		if err != nil {
			s.storeError(w, r, name+"s", err)
			return
		}
		after = n
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": guarantor %ss\nretry: 3000\n\n", name)
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	for {
		changed := s.incidentsChanged()
		recs, err := since(ctx, after, vis)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error(name+" stream", "err", err)
			}
			return
		}
		rc.SetWriteDeadline(time.Now().Add(streamHeartbeat))
		for _, rec := range recs {
			ev := name
			if rec.name != "" {
				ev = rec.name
			}
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", rec.seq, ev, bytes.TrimSpace(rec.feature))
			after = rec.seq
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if len(recs) == MaxLimit {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.streamsEnd:
			return
		case <-changed:
		case <-heartbeat.C:
			rc.SetWriteDeadline(time.Now().Add(streamHeartbeat))
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// MaxGridCells is the most cells GET /api/v1/incidents/grid answers with.
const MaxGridCells = 20_000

// getIncidentGrid answers GET /api/v1/incidents/grid: the incidents the
// reader may see that match the list's filters, counted on a grid of cells
// of `cell` degrees (default 0.1), as a FeatureCollection of Points at the
// cells' centres with `count` and `by_class`. A map shows these when there
// are too many incidents to draw one by one.
func (s *Server) getIncidentGrid(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	cell := 0.1
	if c := v.Get("cell"); c != "" {
		f, err := strconv.ParseFloat(c, 64)
		if err != nil || !(f >= 0.001) || f > 10 {
			writeError(w, http.StatusBadRequest, "cell: %q is not a number of degrees from 0.001 to 10", c)
			return
		}
		cell = f
	}
	v.Del("cell")
	if v.Has("limit") || v.Has("cursor") {
		writeError(w, http.StatusBadRequest, "the grid counts every incident that matches: it takes no limit or cursor")
		return
	}
	q, err := parseIncidentQuery(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	q.Visible = s.visibility(r)
	cells, err := s.cfg.Store.CountIncidents(r.Context(), q, cell)
	if err != nil {
		s.storeError(w, r, "incidents", err)
		return
	}
	if len(cells) > MaxGridCells {
		writeError(w, http.StatusBadRequest, "%d cells: more than %d; ask for a smaller box or larger cells", len(cells), MaxGridCells)
		return
	}
	type cellJSON struct {
		Type     string `json:"type"`
		Geometry struct {
			Type        string     `json:"type"`
			Coordinates [2]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Count   int            `json:"count"`
			ByClass map[string]int `json:"by_class"`
		} `json:"properties"`
	}
	out := struct {
		Type     string     `json:"type"`
		Cell     float64    `json:"cell"`
		Total    int        `json:"total"`
		Features []cellJSON `json:"features"`
	}{Type: "FeatureCollection", Cell: cell, Features: make([]cellJSON, len(cells))}
	for i, c := range cells {
		f := &out.Features[i]
		f.Type, f.Geometry.Type, f.Geometry.Coordinates = "Feature", "Point", [2]float64{c.Lon, c.Lat}
		f.Properties.Count, f.Properties.ByClass = c.Count, c.ByClass
		out.Total += c.Count
	}
	w.Header().Set("Content-Type", "application/geo+json")
	b, err := json.Marshal(out)
	if err != nil {
		s.storeError(w, r, "incidents", err)
		return
	}
	w.Write(append(b, '\n'))
}
