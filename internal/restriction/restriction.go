// Package restriction defines restrictions of access: a monitors' patrol
// denied passage, or held up, by a party's personnel at a checkpoint. It
// decodes and checks their GeoJSON wire form, gives their canonical bytes,
// and counts them per party. It does no I/O.
package restriction

import (
	"cmp"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/problem"
)

// Restriction is one restriction of the monitors' access, as a patrol
// reports it.
type Restriction struct {
	// ID is the client-supplied identifier; re-sending it is a no-op.
	ID string
	// Time is when access was restricted, kept to the nanosecond.
	Time time.Time
	// Position is where: the checkpoint, or where the patrol was stopped.
	Position geo.LonLat
	// Checkpoint names the checkpoint, if it has a name; "" otherwise.
	Checkpoint string
	// Party is the code, from the terms, of the party whose personnel
	// restricted access; "" if unknown.
	Party string
	// Denied is true when access was denied outright, false when the
	// patrol was delayed and then let through.
	Denied bool
	// Delay is how long the patrol was held: more than 0 for a delayed
	// patrol, possibly 0 for a denied one.
	Delay time.Duration
	// Reason is the reason given to the patrol, if any.
	Reason string
	// PatrolSize is how many monitors the patrol had, at least 1.
	PatrolSize int
	// Notes is the patrol's narrative.
	Notes string
	// Label says who may see the restriction.
	Label label.Label
}

// The outcomes of a restriction on the wire.
const (
	OutcomeDenied  = "denied"  // access denied outright
	OutcomeDelayed = "delayed" // the patrol was held, then let through
)

// Limits on the values of a restriction, so that one stays small and every
// value fits the store.
const (
	MaxIDLen         = observe.MaxIDLen   // bytes of an id
	MaxCheckpointLen = 200                // bytes of a checkpoint's name
	MaxTextLen       = observe.MaxTextLen // bytes of reason and of notes
	MaxDelay         = 7 * 24 * time.Hour // the longest delay
	MaxPatrolSize    = 1000               // the largest patrol
)

// The times a restriction may have: after the start of 1990, as for
// observations, and before 2200, well inside what a store keeps as Unix
// nanoseconds.
var (
	minTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// partyCode is the shape of a party's code in the terms.
var partyCode = regexp.MustCompile(`^[A-Z0-9]{1,8}$`)

// IsPartyCode reports whether s has the shape of a party's code in the
// terms: 1 to 8 capital letters or digits.
func IsPartyCode(s string) bool { return partyCode.MatchString(s) }

// Problems is every problem found with a restriction, each naming the
// field at fault by its path in the Feature ("properties.delay_s"). It is
// the error Parse, Decode and Check return.
type Problems = problem.List

// Check returns every problem with r under the classification scheme (the
// zero value means label.DefaultScheme) as Problems, or nil when there is
// none. A restriction without problems is fit to store.
func Check(r Restriction, scheme label.Scheme) error {
	if ps := check(r, scheme); len(ps) > 0 {
		return ps
	}
	return nil
}

func check(r Restriction, scheme label.Scheme) Problems {
	var ps Problems
	switch {
	case r.ID == "":
		ps.Add("id", "required: a client-supplied string id, so that retries are safe")
	case len(r.ID) > MaxIDLen:
		ps.Add("id", "longer than %d bytes", MaxIDLen)
	case !printable(r.ID):
		ps.Add("id", "must be printable UTF-8, without control characters")
	}
	switch {
	case r.Time.IsZero():
		ps.Add("properties.time", "required: an RFC 3339 time")
	case r.Time.Before(minTime):
		ps.Add("properties.time", "%s is before 1990", r.Time.Format(time.RFC3339))
	case !r.Time.Before(maxTime):
		ps.Add("properties.time", "%s is after 2199", r.Time.Format(time.RFC3339))
	}
	if p := r.Position; !finite(p.Lon) || p.Lon < -180 || p.Lon > 180 {
		ps.Add("geometry.coordinates", "longitude %g is outside WGS84 (-180 to 180)", p.Lon)
	}
	if p := r.Position; !finite(p.Lat) || p.Lat < -90 || p.Lat > 90 {
		ps.Add("geometry.coordinates", "latitude %g is outside WGS84 (-90 to 90)", p.Lat)
	}
	switch {
	case len(r.Checkpoint) > MaxCheckpointLen:
		ps.Add("properties.checkpoint", "longer than %d bytes", MaxCheckpointLen)
	case !printable(r.Checkpoint):
		ps.Add("properties.checkpoint", "must be printable UTF-8, without control characters")
	}
	if r.Party != "" && !IsPartyCode(r.Party) {
		ps.Add("properties.party", "%q is not a party code: want the code the terms give the party (1 to 8 capital letters or digits), or no party when it is not known", r.Party)
	}
	switch {
	case r.Delay < 0 || r.Delay > MaxDelay:
		ps.Add("properties.delay_s", "must be between 0 and %g seconds, got %g", MaxDelay.Seconds(), r.Delay.Seconds())
	case !r.Denied && r.Delay == 0:
		ps.Add("properties.delay_s", "required for a delayed patrol: how long it was held, more than 0 seconds")
	}
	if r.PatrolSize < 1 || r.PatrolSize > MaxPatrolSize {
		ps.Add("properties.patrol_size", "must be between 1 and %d monitors, got %d", MaxPatrolSize, r.PatrolSize)
	}
	for _, text := range []struct{ field, value string }{{"properties.reason", r.Reason}, {"properties.notes", r.Notes}} {
		switch {
		case len(text.value) > MaxTextLen:
			ps.Add(text.field, "longer than %d bytes", MaxTextLen)
		case !utf8.ValidString(text.value):
			ps.Add(text.field, "must be valid UTF-8")
		}
	}
	if len(scheme.Levels) == 0 {
		scheme = label.DefaultScheme()
	}
	for _, p := range scheme.Check(r.Label) {
		ps.Add("properties.releasability."+p.Field, "%s", p.Reason)
	}
	return ps
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// PartyCount is what Count finds for one party.
type PartyCount struct {
	// Party is the party's code; "" for the restrictions whose party is
	// not known.
	Party string
	// Denied and Delayed count the restrictions of each outcome, Total
	// both.
	Denied, Delayed, Total int
	// TotalDelay is the sum of the delays of all of them, denied ones
	// that held the patrol first included.
	TotalDelay time.Duration
}

// Count counts restrictions per party, sorted by party code, the party not
// known ("") first. It returns nil for no restrictions.
func Count(rs []Restriction) []PartyCount {
	byParty := map[string]*PartyCount{}
	var out []PartyCount
	for _, r := range rs {
		c, ok := byParty[r.Party]
		if !ok {
			c = &PartyCount{Party: r.Party}
			byParty[r.Party] = c
		}
		if r.Denied {
			c.Denied++
		} else {
			c.Delayed++
		}
		c.Total++
		c.TotalDelay += r.Delay
	}
	for _, c := range byParty {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b PartyCount) int { return cmp.Compare(a.Party, b.Party) })
	return out
}
