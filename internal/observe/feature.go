package observe

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/problem"
)

// Feature is the wire form of an observation: a GeoJSON Feature whose
// geometry is a Point and whose properties carry the observation.
type Feature struct {
	Type       string         `json:"type"`
	ID         jsontext.Value `json:"id"`
	Geometry   *Geometry      `json:"geometry"`
	Properties *Properties    `json:"properties"`
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
type FieldError = problem.Problem

// Decode parses one GeoJSON Feature and checks it against the rules in c.
// It returns the observation, or every problem it found. Unknown members,
// duplicate members and invalid UTF-8 are refused, so that a misspelt field
// is not silently dropped and no two readers see different values.
func Decode(data []byte, c Checks) (Observation, []FieldError) {
	var f Feature
	if err := json.Unmarshal(data, &f, json.RejectUnknownMembers(true)); err != nil {
		return Observation{}, []FieldError{JSONError(err)}
	}
	return FromFeature(f, c)
}

// UnmarshalStrict decodes one JSON value into v as Decode does: unknown and
// duplicate members are refused. Its errors read well through JSONError.
func UnmarshalStrict(data []byte, v any) error {
	return json.Unmarshal(data, v, json.RejectUnknownMembers(true))
}

// JSONError turns a JSON decoding error from Decode or UnmarshalStrict into
// a field error that names the field, in words a client can act on.
func JSONError(err error) FieldError {
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		return FieldError{Field: pointerPath(syn.JSONPointer), Reason: fmt.Sprintf("malformed JSON at byte %d: %v", syn.ByteOffset, syn.Err)}
	}
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		field := pointerPath(sem.JSONPointer)
		switch {
		case errors.Is(sem.Err, json.ErrUnknownName):
			return FieldError{Field: field, Reason: "unknown field"}
		case sem.GoType != nil && sem.JSONKind != 0:
			got, want := kindName(sem.JSONKind), goTypeName(sem.GoType.Kind().String())
			if got == want && got == "number" {
				if k := sem.GoType.Kind(); k != reflect.Float64 && k != reflect.Float32 {
					return FieldError{Field: field, Reason: fmt.Sprintf("must be a whole number, got %s", sem.JSONValue)}
				}
				return FieldError{Field: field, Reason: fmt.Sprintf("number %s is out of range", sem.JSONValue)}
			}
			return FieldError{Field: field, Reason: fmt.Sprintf("wrong type: got JSON %s, want %s", got, want)}
		case sem.Err != nil:
			return FieldError{Field: field, Reason: sem.Err.Error()}
		}
		return FieldError{Field: field, Reason: "cannot be decoded"}
	}
	return FieldError{Reason: "malformed JSON: " + err.Error()}
}

// pointerPath turns a JSON Pointer (/properties/source/grading, /a/0) into
// the dotted path used in field errors (properties.source.grading, a[0]).
func pointerPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// kindName names a JSON kind in words.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '[':
		return "array"
	}
	return "object"
}

func goTypeName(kind string) string {
	switch kind {
	case "float64", "float32", "int", "int64", "int32", "uint", "uint64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	}
	return "object"
}

// ToFeature renders o in its wire form. Decoding the result gives o back.
func ToFeature(o Observation) Feature {
	id, _ := jsontext.AppendQuote(nil, o.ID)
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
		ID:       jsontext.Value(id),
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

func decodeID(raw jsontext.Value, add func(string, string, ...any)) string {
	if len(raw) == 0 || string(raw) == "null" {
		add("id", "required: a client-supplied string id, so that retries are safe")
		return ""
	}
	switch raw.Kind() {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s
		}
	case '0':
		return string(raw)
	}
	add("id", "must be a string or a number")
	return ""
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
