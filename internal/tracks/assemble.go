// Package tracks turns track observations (points of radar and drone
// tracks) into tracks, and finds where a track crosses the contact line:
// the point and time it entered the other side, the point and time it came
// back, if it did, and how deep it went. It serves the rule that a drone or
// aircraft crossing the line is a violation.
//
// It is pure: values in, values out, no I/O and no state.
package tracks

import (
	"cmp"
	"slices"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
)

// Track is the points one source reported under one track id, in time order.
type Track struct {
	// ID is the source's id and the track id joined by "/", such as
	// "radar-3/R3-T0042".
	ID string
	// Source is the id of the source that reported the track.
	Source string
	// TrackID is the source's id of the track.
	TrackID string
	// Platform is what the points say the track follows when they agree,
	// ignoring points that name none or "unknown"; it is
	// observe.PlatformUnknown when no point names one or two name different ones.
	Platform observe.Platform
	// Points are the points in increasing time, no two at the same time.
	Points []Point
	// Label is the most restrictive of the points' labels (label.MostRestrictive).
	Label label.Label
}

// Point is one point of a track.
type Point struct {
	// Time is when the point was observed.
	Time time.Time
	// Position is the observed position.
	Position geo.LonLat
	// AltitudeM is the altitude in metres, if the observation gave one:
	// the track's altitude_m, else the altitude of its coordinates.
	AltitudeM *float64
	// UncertaintyM is the one-sigma horizontal uncertainty of Position in metres.
	UncertaintyM float64
	// Observation is the id of the observation the point comes from.
	Observation string
	// Label is the observation's releasability label.
	Label label.Label
}

// Assemble groups the track observations of obs into tracks, one per
// source id and track id, and returns them ordered by the time of their
// first point, then by ID (then Source, should two IDs coincide).
//
// Observations that are not track points, or whose position is not a
// valid WGS84 longitude and latitude, are ignored. Of observations with the
// same id the first in obs is kept, as the store keeps the first it
// receives. Within a track the points are ordered by time, and of points
// at the same time the one with the smallest observation id is kept, so
// that the result does not depend on the order of obs otherwise.
//
// The track's label is label.MostRestrictive of its points' labels under
// scheme (the zero Scheme means label.DefaultScheme). Should a label not
// fit the scheme, which observe.Check refuses at ingest, the track is
// released to no one: the scheme's highest level with no nations.
func Assemble(obs []observe.Observation, scheme label.Scheme) []Track {
	if len(scheme.Levels) == 0 {
		scheme = label.DefaultScheme()
	}
	type key struct{ source, track string }
	byKey := map[key]int{}
	var out []Track
	seen := map[string]bool{}
	for _, o := range obs {
		if o.Kind != observe.KindTrack || o.Track == nil {
			continue
		}
		p := geo.LonLat{Lon: o.Location.Lon, Lat: o.Location.Lat}
		if !p.Valid() || seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		k := key{o.Source.ID, o.Track.TrackID}
		i, ok := byKey[k]
		if !ok {
			i = len(out)
			byKey[k] = i
			out = append(out, Track{ID: k.source + "/" + k.track, Source: k.source, TrackID: k.track})
		}
		alt := o.Track.AltitudeM
		if alt == nil {
			alt = o.Location.Alt
		}
		if alt != nil {
			alt = new(*alt) // share nothing with the input
		}
		out[i].Points = append(out[i].Points, Point{
			Time:         o.ObservedAt,
			Position:     p,
			AltitudeM:    alt,
			UncertaintyM: o.LocationUncertaintyM,
			Observation:  o.ID,
			Label:        o.Releasability.Normalize(),
		})
		out[i].Platform = mergePlatform(out[i].Platform, o.Track.Platform, !ok)
	}
	for i := range out {
		tr := &out[i]
		slices.SortFunc(tr.Points, func(a, b Point) int {
			return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Observation, b.Observation))
		})
		tr.Points = slices.CompactFunc(tr.Points, func(a, b Point) bool { return a.Time.Equal(b.Time) })
		tr.Platform = cmp.Or(tr.Platform, observe.PlatformUnknown)
		tr.Label = trackLabel(scheme, tr.Points)
	}
	slices.SortFunc(out, func(a, b Track) int {
		return cmp.Or(a.Points[0].Time.Compare(b.Points[0].Time), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Source, b.Source))
	})
	return out
}

// mergePlatform folds the platform q of a point into the platform p of the
// points before it; first says q is the first point's.
func mergePlatform(p, q observe.Platform, first bool) observe.Platform {
	if q == "" || q == observe.PlatformUnknown {
		if first {
			return ""
		}
		return p
	}
	switch {
	case first || p == "":
		return q
	case p != q:
		return observe.PlatformUnknown
	}
	return p
}

// trackLabel returns the most restrictive of the points' labels, or, if
// one does not fit the scheme, the scheme's highest level released to no one.
func trackLabel(scheme label.Scheme, points []Point) label.Label {
	labels := make([]label.Label, len(points))
	for i, p := range points {
		labels[i] = p.Label
	}
	l, err := label.MostRestrictive(scheme, labels...)
	if err != nil {
		return label.Label{Classification: scheme.Levels[len(scheme.Levels)-1]}
	}
	return l
}
