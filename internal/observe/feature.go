package observe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
)

// Feature is the wire form of an observation: a GeoJSON Feature whose
// geometry is a Point and whose properties carry the observation.
type Feature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Geometry   *Geometry       `json:"geometry"`
	Properties *Properties     `json:"properties"`
}

// Geometry is a GeoJSON Point.
type Geometry struct {
	Type        string    `json:"type"`
	Coordinates []float64 `json:"coordinates"`
}

// Properties are a Feature's observation fields.
type Properties struct {
	Kind                 Kind         `json:"kind"`
	Source               *Source      `json:"source"`
	ObservedAt           string       `json:"observed_at"`
	TimeUncertaintyS     *float64     `json:"time_uncertainty_s"`
	LocationUncertaintyM *float64     `json:"location_uncertainty_m"`
	Releasability        *label.Label `json:"releasability"`

	Report   *Report   `json:"report,omitempty"`
	Acoustic *Acoustic `json:"acoustic,omitempty"`
	Track    *Track    `json:"track,omitempty"`
	Imagery  *Imagery  `json:"imagery,omitempty"`
	OSINT    *OSINT    `json:"osint,omitempty"`
}

// FieldError says what is wrong with one field of an observation. Field is
// a path into the Feature, such as "properties.source.grading".
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// Decode parses one GeoJSON Feature and checks it against the rules in c.
// It returns the observation, or every problem it found. Unknown members
// are refused, so that a misspelt field is not silently dropped.
func Decode(data []byte, c Checks) (Observation, []FieldError) {
	var f Feature
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		fe := JSONError(err)
		if fe.Reason == "unknown field" {
			fe.Field = fieldPath(data, fe.Field)
		}
		return Observation{}, []FieldError{fe}
	}
	if dec.More() {
		return Observation{}, []FieldError{{Field: "", Reason: "more than one JSON value where one Feature was expected"}}
	}
	return FromFeature(f, c)
}

// JSONError turns an encoding/json decoding error into a field error that
// names the field, in words a client can act on.
func JSONError(err error) FieldError {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		return FieldError{Field: e.Field, Reason: fmt.Sprintf("wrong type: got JSON %s, want %s", e.Value, goTypeName(e.Type.String()))}
	case *json.SyntaxError:
		return FieldError{Field: "", Reason: fmt.Sprintf("malformed JSON at byte %d: %v", e.Offset, e)}
	case *time.ParseError:
		return FieldError{Field: "", Reason: "bad time: " + e.Error()}
	}
	msg := err.Error()
	if after, ok := bytes.CutPrefix([]byte(msg), []byte("json: unknown field ")); ok {
		return FieldError{Field: string(bytes.Trim(after, `"`)), Reason: "unknown field"}
	}
	return FieldError{Field: "", Reason: "malformed JSON: " + msg}
}

// fieldPath finds where in the JSON document data a member called name
// appears, as a dotted path; encoding/json reports only the name.
func fieldPath(data []byte, name string) string {
	var doc any
	if json.Unmarshal(data, &doc) != nil {
		return name
	}
	var find func(v any, prefix string) (string, bool)
	find = func(v any, prefix string) (string, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if _, ok := m[name]; ok {
			return prefix + name, true
		}
		for k, child := range m {
			if p, ok := find(child, prefix+k+"."); ok {
				return p, true
			}
		}
		return "", false
	}
	if p, ok := find(doc, ""); ok {
		return p
	}
	return name
}

func goTypeName(t string) string {
	switch t {
	case "float64", "int", "int64":
		return "number"
	case "string", "observe.Kind", "observe.SourceType", "observe.Means", "observe.EventType", "observe.SignalClass", "observe.Platform", "label.Classification":
		return "string"
	case "bool":
		return "boolean"
	}
	if len(t) > 0 && t[0] == '[' {
		return "array"
	}
	return "object"
}

// ToFeature renders o in its wire form. Decoding the result gives o back.
func ToFeature(o Observation) Feature {
	id, _ := json.Marshal(o.ID)
	coords := []float64{o.Location.Lon, o.Location.Lat}
	if o.Location.Alt != nil {
		coords = append(coords, *o.Location.Alt)
	}
	tu := o.TimeUncertainty.Seconds()
	lu := o.LocationUncertaintyM
	rel := o.Releasability
	src := o.Source
	return Feature{
		Type:     "Feature",
		ID:       id,
		Geometry: &Geometry{Type: "Point", Coordinates: coords},
		Properties: &Properties{
			Kind:                 o.Kind,
			Source:               &src,
			ObservedAt:           o.ObservedAt.UTC().Format(time.RFC3339Nano),
			TimeUncertaintyS:     &tu,
			LocationUncertaintyM: &lu,
			Releasability:        &rel,
			Report:               o.Report,
			Acoustic:             o.Acoustic,
			Track:                o.Track,
			Imagery:              o.Imagery,
			OSINT:                o.OSINT,
		},
	}
}

// Marshal returns the canonical JSON bytes of o: its Feature with members in
// a fixed order and no insignificant space. Equal observations have equal bytes.
func Marshal(o Observation) ([]byte, error) {
	b, err := json.Marshal(ToFeature(o))
	if err != nil {
		return nil, fmt.Errorf("marshal observation %s: %w", o.ID, err)
	}
	return b, nil
}

// FromFeature converts a decoded Feature into an observation, checking every
// field. The returned problems name the field and the reason.
func FromFeature(f Feature, c Checks) (Observation, []FieldError) {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	var o Observation

	if f.Type != "Feature" {
		add("type", "must be \"Feature\", got %q", f.Type)
	}
	o.ID = decodeID(f.ID, add)

	if f.Geometry == nil {
		add("geometry", "required: a GeoJSON Point")
	} else {
		o.Location = decodePoint(*f.Geometry, add)
	}

	p := f.Properties
	if p == nil {
		add("properties", "required")
		return o, errs
	}
	o.Kind = p.Kind
	if p.Source == nil {
		add("properties.source", "required: {id, type, grading}")
	} else {
		o.Source = *p.Source
	}
	if p.ObservedAt == "" {
		add("properties.observed_at", "required: an RFC 3339 time")
	} else if t, err := time.Parse(time.RFC3339Nano, p.ObservedAt); err != nil {
		add("properties.observed_at", "not an RFC 3339 time: %q", p.ObservedAt)
	} else {
		o.ObservedAt = t.UTC()
	}
	if p.TimeUncertaintyS == nil {
		add("properties.time_uncertainty_s", "required: one-sigma uncertainty of observed_at in seconds")
	} else if v := *p.TimeUncertaintyS; !(v >= 0) || v > maxTimeUncertaintyS {
		add("properties.time_uncertainty_s", "must be between 0 and %g seconds, got %g", float64(maxTimeUncertaintyS), v)
	} else {
		o.TimeUncertainty = time.Duration(math.Round(v * 1e9))
	}
	if p.LocationUncertaintyM == nil {
		add("properties.location_uncertainty_m", "required: one-sigma horizontal uncertainty in metres")
	} else {
		o.LocationUncertaintyM = *p.LocationUncertaintyM
	}
	if p.Releasability == nil {
		add("properties.releasability", "required: {\"classification\":\"PUBLIC\"} or a classification with rel_to nations")
	} else {
		o.Releasability = p.Releasability.Normalize()
	}
	o.Report, o.Acoustic, o.Track, o.Imagery, o.OSINT = p.Report, p.Acoustic, p.Track, p.Imagery, p.OSINT
	for _, e := range Check(o, c) {
		if !hasField(errs, e.Field) {
			errs = append(errs, e)
		}
	}
	return o, errs
}

const maxTimeUncertaintyS = 7 * 24 * 3600

func hasField(errs []FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

func decodeID(raw json.RawMessage, add func(string, string, ...any)) string {
	if len(raw) == 0 || string(raw) == "null" {
		add("id", "required: a client-supplied string id, so that retries are safe")
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		add("id", "must be a string or a number")
		return ""
	}
	return s
}

func decodePoint(g Geometry, add func(string, string, ...any)) Point {
	if g.Type != "Point" {
		add("geometry.type", "must be \"Point\", got %q", g.Type)
		return Point{}
	}
	if n := len(g.Coordinates); n < 2 || n > 3 {
		add("geometry.coordinates", "must be [longitude, latitude] or [longitude, latitude, altitude], got %d numbers", n)
		return Point{}
	}
	p := Point{Lon: g.Coordinates[0], Lat: g.Coordinates[1]}
	if len(g.Coordinates) == 3 {
		alt := g.Coordinates[2]
		p.Alt = &alt
	}
	return p
}
