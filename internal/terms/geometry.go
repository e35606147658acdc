package terms

import (
	"encoding/json"
	"fmt"

	"github.com/guarantor-project/guarantor/internal/geo"
)

// Geometry types of the contact line.
const (
	LineString      = "LineString"
	MultiLineString = "MultiLineString"
)

// Lines decodes the coordinates: one line for a LineString, one per part
// for a MultiLineString, each point in the order given. It checks the
// shape of the coordinates but not their ranges; Validate does that. The
// error is Problems naming "contact_line" fields.
func (g Geometry) Lines() ([][]geo.LonLat, error) {
	lines, ps := g.decode("contact_line")
	if len(ps) > 0 {
		return nil, ps
	}
	return lines, nil
}

// decode is Lines reporting problems under field.
func (g Geometry) decode(field string) ([][]geo.LonLat, Problems) {
	var ps Problems
	coords := field + ".coordinates"
	if g.Coordinates == nil {
		ps.Add(coords, "required")
	}
	switch g.Type {
	case LineString, MultiLineString:
	case "":
		ps.Add(field+".type", "required: %s or %s", LineString, MultiLineString)
		return nil, ps
	default:
		ps.Add(field+".type", "unknown geometry type %q (want %s or %s)", g.Type, LineString, MultiLineString)
		return nil, ps
	}
	if len(ps) > 0 {
		return nil, ps
	}
	raw, err := json.Marshal(g.Coordinates)
	if err != nil {
		ps.Add(coords, "not JSON coordinates: %v", err)
		return nil, ps
	}
	if g.Type == LineString {
		line := decodeLine(raw, coords, &ps)
		return [][]geo.LonLat{line}, ps
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		ps.Add(coords, "want a list of lines, each a list of [longitude, latitude], got %s", excerpt(raw))
		return nil, ps
	}
	if len(parts) == 0 {
		ps.Add(coords, "a %s needs at least one line", MultiLineString)
	}
	lines := make([][]geo.LonLat, len(parts))
	for i, part := range parts {
		lines[i] = decodeLine(part, fmt.Sprintf("%s[%d]", coords, i), &ps)
	}
	return lines, ps
}

// decodeLine decodes a list of GeoJSON positions. An altitude, if given, is ignored.
func decodeLine(raw json.RawMessage, field string, ps *Problems) []geo.LonLat {
	var positions []json.RawMessage
	if err := json.Unmarshal(raw, &positions); err != nil {
		ps.Add(field, "want a list of [longitude, latitude], got %s", excerpt(raw))
		return nil
	}
	line := make([]geo.LonLat, 0, len(positions))
	for i, pos := range positions {
		var xs []any
		err := json.Unmarshal(pos, &xs)
		if err == nil && (len(xs) == 2 || len(xs) == 3) {
			lon, ok1 := xs[0].(float64)
			lat, ok2 := xs[1].(float64)
			_, ok3 := xs[len(xs)-1].(float64)
			if ok1 && ok2 && ok3 {
				line = append(line, geo.LonLat{Lon: lon, Lat: lat})
				continue
			}
		}
		ps.Add(fmt.Sprintf("%s[%d]", field, i), "want a position [longitude, latitude], got %s", excerpt(pos))
	}
	return line
}

// excerpt returns raw JSON shortened for a message.
func excerpt(raw []byte) string {
	const n = 40
	if len(raw) > n {
		return string(raw[:n]) + "…"
	}
	return string(raw)
}
