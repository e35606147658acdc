package restriction

import (
	"fmt"
	"math"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
)

// feature is the wire form of a restriction: a GeoJSON Feature whose
// geometry is a Point and whose properties carry the restriction. The order
// of the members is the order of the canonical bytes.
type feature struct {
	Type       string      `json:"type"`
	ID         *string     `json:"id"`
	Geometry   *geometry   `json:"geometry"`
	Properties *properties `json:"properties"`
}

// geometry is a GeoJSON Point.
type geometry struct {
	Type        string    `json:"type"`
	Coordinates []float64 `json:"coordinates"`
}

// properties are a Feature's restriction fields.
type properties struct {
	Time          string       `json:"time"`
	Checkpoint    string       `json:"checkpoint,omitempty"`
	Party         string       `json:"party,omitempty"`
	Outcome       string       `json:"outcome"`
	DelayS        *float64     `json:"delay_s"`
	Reason        string       `json:"reason,omitempty"`
	PatrolSize    *int         `json:"patrol_size"`
	Notes         string       `json:"notes,omitempty"`
	Releasability *label.Label `json:"releasability"`
}

// Parse decodes one restriction from its GeoJSON Feature and checks it
// under the classification scheme (the zero value means
// label.DefaultScheme). The error is Problems, naming every field at
// fault; unknown and duplicate members and invalid UTF-8 are refused, so
// that a misspelt field is not silently dropped. On error the restriction
// holds what could be read, such as its id, for an answer that names it.
func Parse(data []byte, scheme label.Scheme) (Restriction, error) {
	var f feature
	if err := observe.UnmarshalStrict(data, &f); err != nil {
		return Restriction{}, Problems{observe.JSONError(err)}
	}
	r, ps := fromFeature(f)
	decoded := ps
	for _, p := range check(r, scheme) {
		if !decoded.Has(p.Field) {
			ps = append(ps, p)
		}
	}
	if len(ps) > 0 {
		return r, ps
	}
	return r, nil
}

// Decode reads a restriction from its Feature without checking its values:
// for a store that reads back the canonical bytes of a restriction Parse
// accepted, perhaps under another scheme. The error is Problems, for what
// cannot be read at all.
func Decode(data []byte) (Restriction, error) {
	var f feature
	if err := observe.UnmarshalStrict(data, &f); err != nil {
		return Restriction{}, Problems{observe.JSONError(err)}
	}
	r, ps := fromFeature(f)
	if len(ps) > 0 {
		return r, ps
	}
	return r, nil
}

// fromFeature converts a decoded Feature into a restriction and returns
// the problems of its form: what is missing or cannot be converted.
func fromFeature(f feature) (Restriction, Problems) {
	var ps Problems
	var r Restriction
	if f.Type != "Feature" {
		ps.Add("type", "must be \"Feature\", got %q", f.Type)
	}
	if f.ID == nil {
		ps.Add("id", "required: a client-supplied string id, so that retries are safe")
	} else {
		r.ID = *f.ID
	}
	switch g := f.Geometry; {
	case g == nil:
		ps.Add("geometry", "required: a GeoJSON Point")
	case g.Type != "Point":
		ps.Add("geometry.type", "must be \"Point\", got %q", g.Type)
	case len(g.Coordinates) != 2:
		ps.Add("geometry.coordinates", "must be [longitude, latitude], got %d numbers", len(g.Coordinates))
	default:
		r.Position = geo.LonLat{Lon: g.Coordinates[0], Lat: g.Coordinates[1]}
	}
	p := f.Properties
	if p == nil {
		ps.Add("properties", "required")
		return r, ps
	}
	if p.Time == "" {
		ps.Add("properties.time", "required: an RFC 3339 time")
	} else if t, err := time.Parse(time.RFC3339Nano, p.Time); err != nil {
		ps.Add("properties.time", "not an RFC 3339 time: %q", p.Time)
	} else {
		r.Time = t.UTC()
	}
	r.Checkpoint, r.Party, r.Reason, r.Notes = p.Checkpoint, p.Party, p.Reason, p.Notes
	switch p.Outcome {
	case OutcomeDenied:
		r.Denied = true
	case OutcomeDelayed:
	case "":
		ps.Add("properties.outcome", "required: %q or %q", OutcomeDenied, OutcomeDelayed)
	default:
		ps.Add("properties.outcome", "unknown outcome %q (want %q or %q)", p.Outcome, OutcomeDenied, OutcomeDelayed)
	}
	if v := p.DelayS; v != nil {
		// Checked before the conversion, which would overflow.
		if !(*v >= 0 && *v <= MaxDelay.Seconds()) {
			ps.Add("properties.delay_s", "must be between 0 and %g seconds, got %g", MaxDelay.Seconds(), *v)
		} else {
			r.Delay = time.Duration(math.Round(*v * 1e9))
		}
	}
	if p.PatrolSize == nil {
		ps.Add("properties.patrol_size", "required: how many monitors the patrol had")
	} else {
		r.PatrolSize = *p.PatrolSize
	}
	if p.Releasability == nil {
		ps.Add("properties.releasability", "required: {\"classification\":\"PUBLIC\"} or a classification with rel_to nations")
	} else {
		r.Label = p.Releasability.Normalize()
	}
	return r, ps
}

// toFeature renders r in its wire form.
func toFeature(r Restriction) feature {
	id := r.ID
	outcome := OutcomeDelayed
	if r.Denied {
		outcome = OutcomeDenied
	}
	delay := r.Delay.Seconds()
	size := r.PatrolSize
	l := r.Label.Normalize()
	return feature{
		Type:     "Feature",
		ID:       &id,
		Geometry: &geometry{Type: "Point", Coordinates: []float64{r.Position.Lon, r.Position.Lat}},
		Properties: &properties{
			Time:          r.Time.UTC().Format(time.RFC3339Nano),
			Checkpoint:    r.Checkpoint,
			Party:         r.Party,
			Outcome:       outcome,
			DelayS:        &delay,
			Reason:        r.Reason,
			PatrolSize:    &size,
			Notes:         r.Notes,
			Releasability: &l,
		},
	}
}

// Marshal returns the canonical bytes of r: its Feature with members in a
// fixed order, no insignificant space, the time in UTC and the label's
// nations sorted. Equal restrictions have equal bytes, and Parse gives back
// the restriction it read them from.
func Marshal(r Restriction) ([]byte, error) {
	b, err := json.Marshal(toFeature(r))
	if err != nil {
		return nil, fmt.Errorf("marshal restriction %s: %w", r.ID, err)
	}
	return b, nil
}
