package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// incidentRow is an incident ready to write: its columns, computed and
// checked on the caller's goroutine so that the writer only writes.
type incidentRow struct {
	r            store.IncidentRecord
	relTo        string
	observations []byte
}

// checkIncident returns what is wrong with an incident, if anything.
func checkIncident(r store.IncidentRecord) error {
	switch {
	case r.ID == "":
		return errors.New("empty id")
	case r.Version < 1:
		return fmt.Errorf("version %d, want 1 or more", r.Version)
	case r.Class == "":
		return errors.New("empty class")
	case !unixNanos(r.Start):
		return fmt.Errorf("start %v is not a time the store can keep", r.Start)
	case !unixNanos(r.End):
		return fmt.Errorf("end %v is not a time the store can keep", r.End)
	case r.End.Before(r.Start):
		return fmt.Errorf("end %v is before start %v", r.End, r.Start)
	case r.Label.Classification == "":
		return errors.New("label without a classification")
	case r.MergedInto == r.ID:
		return errors.New("merged into itself")
	case !json.Valid(r.Feature):
		return errors.New("feature is not JSON")
	}
	if err := checkBBox(r.BBox); err != nil {
		return err
	}
	for i, n := range r.Label.RelTo {
		if !label.IsNationCode(n) {
			return fmt.Errorf("label rel_to[%d] %q is not an ISO 3166-1 alpha-3 code", i, n)
		}
	}
	for i, id := range r.Observations {
		if id == "" {
			return fmt.Errorf("observations[%d] is empty", i)
		}
	}
	return nil
}

// unixNanos reports whether t survives being kept as Unix nanoseconds:
// the zero time and times before 1678 or after 2262 do not.
func unixNanos(t time.Time) bool {
	return time.Unix(0, t.UnixNano()).Equal(t)
}

// checkBBox returns what is wrong with a box [west, south, east, north],
// if anything. A box whose west edge is east of its east edge crosses the
// antimeridian.
func checkBBox(b [4]float64) error {
	for _, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("bbox %v is not finite", b)
		}
	}
	switch {
	case b[0] < -180 || b[0] > 180 || b[2] < -180 || b[2] > 180:
		return fmt.Errorf("bbox %v: longitudes must be within [-180, 180]", b)
	case b[1] < -90 || b[3] > 90:
		return fmt.Errorf("bbox %v: latitudes must be within [-90, 90]", b)
	case b[1] > b[3]:
		return fmt.Errorf("bbox %v: south is north of north", b)
	}
	return nil
}

// PutIncidents implements store.Incidents. Incidents are derived data and
// are not appended to the log. Every incident is checked before anything is
// written: one bad incident writes none.
func (db *DB) PutIncidents(ctx context.Context, incidents []store.IncidentRecord) error {
	rows := make([]incidentRow, len(incidents))
	for i, r := range incidents {
		if err := checkIncident(r); err != nil {
			return fmt.Errorf("put incident %q (#%d): %w", r.ID, i, err)
		}
		obs, err := json.Marshal(r.Observations)
		if err != nil {
			return fmt.Errorf("put incident %q: %w", r.ID, err)
		}
		if len(r.Observations) == 0 {
			obs = []byte("[]")
		}
		rows[i] = incidentRow{r: r, relTo: strings.Join(r.Label.RelTo, ","), observations: obs}
	}
	if len(rows) == 0 {
		return nil
	}
	err := db.write(ctx, len(rows), func(tx *sql.Tx, _ *logAppender) error {
		var seq int64
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) FROM incidents`).Scan(&seq); err != nil {
			return fmt.Errorf("read last seq: %w", err)
		}
		// An incident replaces the stored one only if its version is newer,
		// so that a replay writes nothing.
		stmt, err := tx.Prepare(`INSERT INTO incidents
			(id, version, seq, class, start_at, end_at, west, south, east, north, party, confidence, classification, rel_to, observations, merged_into, feature)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				version = excluded.version, seq = excluded.seq, class = excluded.class,
				start_at = excluded.start_at, end_at = excluded.end_at,
				west = excluded.west, south = excluded.south, east = excluded.east, north = excluded.north,
				party = excluded.party, confidence = excluded.confidence,
				classification = excluded.classification, rel_to = excluded.rel_to,
				observations = excluded.observations, merged_into = excluded.merged_into, feature = excluded.feature
			WHERE excluded.version > incidents.version`)
		if err != nil {
			return fmt.Errorf("prepare put incident: %w", err)
		}
		defer stmt.Close()
		for _, row := range rows {
			r := row.r
			res, err := stmt.Exec(r.ID, r.Version, seq+1, r.Class, r.Start.UnixNano(), r.End.UnixNano(),
				r.BBox[0], r.BBox[1], r.BBox[2], r.BBox[3], r.Party, r.Confidence,
				string(r.Label.Classification), row.relTo, row.observations, r.MergedInto, []byte(r.Feature))
			if err != nil {
				return fmt.Errorf("put incident %q: %w", r.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("put incident %q: %w", r.ID, err)
			}
			if n == 1 {
				seq++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put incidents: %w", err)
	}
	return nil
}

// incidentColumns are the columns scanIncident reads, in order.
const incidentColumns = `id, version, seq, class, start_at, end_at, west, south, east, north,
	party, confidence, classification, rel_to, observations, merged_into, feature`

// scanIncident reads the incidentColumns of a row.
func scanIncident(scan func(...any) error) (store.IncidentRecord, error) {
	var r store.IncidentRecord
	var start, end int64
	var class, relTo string
	var obs []byte
	err := scan(&r.ID, &r.Version, &r.Seq, &r.Class, &start, &end, &r.BBox[0], &r.BBox[1], &r.BBox[2], &r.BBox[3],
		&r.Party, &r.Confidence, &class, &relTo, &obs, &r.MergedInto, &r.Feature)
	if err != nil {
		return store.IncidentRecord{}, err
	}
	if err := json.Unmarshal(obs, &r.Observations); err != nil {
		return store.IncidentRecord{}, fmt.Errorf("decode observations of incident %q: %w", r.ID, err)
	}
	if len(r.Observations) == 0 {
		r.Observations = nil
	}
	r.Start, r.End = time.Unix(0, start).UTC(), time.Unix(0, end).UTC()
	r.Label = labelOf(class, relTo)
	return r, nil
}

// Incident implements store.Incidents. An incident vis does not allow is
// reported exactly as a missing one.
func (db *DB) Incident(ctx context.Context, id string, vis *label.Visibility) (store.IncidentRecord, error) {
	return byID(ctx, db, "incidents", incidentColumns, "incident", scanIncident, id, vis)
}

// incidentWhere is the WHERE of a query of incidents: the conditions and
// their arguments, or false when the reader may see none.
func incidentWhere(q store.IncidentQuery) ([]string, []any, bool) {
	where := []string{"merged_into = ''"}
	var args []any
	if q.BBox != nil {
		b := *q.BBox
		where = append(where, "south <= ? AND north >= ?")
		args = append(args, b[3], b[1])
		// Either box may cross the antimeridian (west > east), and then
		// covers [west, 180] and [-180, east].
		if b[0] <= b[2] {
			where = append(where, "((west <= east AND west <= ? AND east >= ?) OR (west > east AND (west <= ? OR east >= ?)))")
			args = append(args, b[2], b[0], b[2], b[0])
		} else {
			where = append(where, "(west > east OR east >= ? OR west <= ?)")
			args = append(args, b[0], b[2])
		}
	}
	// The index is searched from the cursor or from the end of the window,
	// whichever comes first; the other bound is implied, and given both
	// SQLite would seek to the end of the window and scan to the cursor.
	switch {
	case q.After != nil && (q.To.IsZero() || q.After.Start.Before(q.To)):
		where = append(where, "(start_at, id) < (?, ?)")
		args = append(args, q.After.Start.UnixNano(), q.After.ID)
	case !q.To.IsZero():
		where = append(where, "start_at < ?")
		args = append(args, q.To.UnixNano())
	}
	if !q.From.IsZero() {
		// An incident that starts more than the longest incident lasts
		// before From ends before it too: the bound stops the scan of the
		// start index there (see incidents_span).
		where = append(where, "end_at >= ?", "start_at >= ? - (SELECT coalesce(max(end_at - start_at), 0) FROM incidents WHERE merged_into = '')")
		args = append(args, q.From.UnixNano(), q.From.UnixNano())
	}
	if q.Class != "" {
		where = append(where, "class = ?")
		args = append(args, q.Class)
	}
	switch q.Party {
	case "":
	case "none":
		where = append(where, "party = ''")
	default:
		where = append(where, "party = ?")
		args = append(args, q.Party)
	}
	if q.Confidence != "" {
		where = append(where, "confidence = ?")
		args = append(args, q.Confidence)
	}
	if v := q.Visible; v != nil {
		conds, vargs, ok := visibleSQL(*v)
		if !ok {
			return nil, nil, false // the reader may see nothing
		}
		where, args = append(where, conds...), append(args, vargs...)
	}
	return where, args, true
}

// QueryIncidents implements store.Incidents. It walks the index of the
// incidents not merged, newest start first, from the cursor or from the
// end of the window, and filters in the index entries.
func (db *DB) QueryIncidents(ctx context.Context, q store.IncidentQuery) (store.IncidentPage, error) {
	if q.Limit <= 0 {
		return store.IncidentPage{}, fmt.Errorf("query incidents: limit must be positive, got %d", q.Limit)
	}
	where, args, ok := incidentWhere(q)
	if !ok {
		return store.IncidentPage{}, nil
	}
	sqlText := `SELECT ` + incidentColumns + ` FROM incidents INDEXED BY incidents_start WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY start_at DESC, id DESC LIMIT ?`
	args = append(args, q.Limit+1)

	rows, err := db.r.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return store.IncidentPage{}, fmt.Errorf("query incidents: %w", err)
	}
	defer rows.Close()
	var page store.IncidentPage
	for rows.Next() {
		if len(page.Incidents) == q.Limit {
			last := page.Incidents[len(page.Incidents)-1]
			page.Next = &store.IncidentCursor{Start: last.Start, ID: last.ID}
			break
		}
		r, err := scanIncident(rows.Scan)
		if err != nil {
			return store.IncidentPage{}, fmt.Errorf("query incidents: %w", err)
		}
		page.Incidents = append(page.Incidents, r)
	}
	if err := rows.Err(); err != nil {
		return store.IncidentPage{}, fmt.Errorf("query incidents: %w", err)
	}
	return page, nil
}

// IncidentsSince implements store.Incidents.
func (db *DB) IncidentsSince(ctx context.Context, after int64, vis *label.Visibility, limit int) ([]store.IncidentRecord, error) {
	return since(ctx, db, "incidents", incidentColumns, scanIncident, after, vis, limit)
}

// LastIncidentSeq implements store.Incidents.
func (db *DB) LastIncidentSeq(ctx context.Context) (int64, error) {
	return lastSeq(ctx, db, "incidents")
}

// CountIncidents implements store.Incidents. It counts in SQL, on a grid of
// the incidents' centres, through the listing's index.
func (db *DB) CountIncidents(ctx context.Context, q store.IncidentQuery, cellDeg float64) ([]store.IncidentCell, error) {
	if !(cellDeg > 0) || cellDeg > 90 {
		return nil, fmt.Errorf("count incidents: cell of %v degrees, want more than 0 and at most 90", cellDeg)
	}
	q.After = nil
	where, args, ok := incidentWhere(q)
	if !ok {
		return nil, nil
	}
	// The centre of a box that crosses the antimeridian is on the other
	// side of the world from the average of its edges.
	const lon = `(CASE WHEN west <= east THEN (west + east) / 2 WHEN (west + east) / 2 >= 0 THEN (west + east) / 2 - 180 ELSE (west + east) / 2 + 180 END)`
	sqlText := `SELECT CAST(floor(` + lon + ` / ?) AS INTEGER) AS cx, CAST(floor(((south + north) / 2) / ?) AS INTEGER) AS cy, class, count(*)
		FROM incidents INDEXED BY incidents_start WHERE ` + strings.Join(where, " AND ") + ` GROUP BY cx, cy, class ORDER BY cy, cx, class`
	rows, err := db.r.QueryContext(ctx, sqlText, append([]any{cellDeg, cellDeg}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("count incidents: %w", err)
	}
	defer rows.Close()
	var out []store.IncidentCell
	for rows.Next() {
		var cx, cy int64
		var class string
		var n int
		if err := rows.Scan(&cx, &cy, &class, &n); err != nil {
			return nil, fmt.Errorf("count incidents: %w", err)
		}
		lonC, latC := (float64(cx)+0.5)*cellDeg, (float64(cy)+0.5)*cellDeg
		if k := len(out) - 1; k >= 0 && out[k].Lon == lonC && out[k].Lat == latC {
			out[k].Count += n
			out[k].ByClass[class] = n
			continue
		}
		out = append(out, store.IncidentCell{Lon: lonC, Lat: latC, Count: n, ByClass: map[string]int{class: n}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count incidents: %w", err)
	}
	return out, nil
}
