package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/restriction"
)

// Restrictions keeps the restrictions of access monitors report, each once,
// by its client-supplied id. They are primary records, like observations:
// each is appended to the tamper-evident log (KindRestriction, its
// canonical bytes) in the transaction that stores it.
type Restrictions interface {
	// AddRestrictions stores the restrictions that are not stored yet, as
	// sent by submitter (a user's name), in one or more durable
	// transactions, and reports for each whether it was added or was a
	// duplicate of an id already stored, which changes nothing. Outcomes
	// are in the order of rs. A restriction the store cannot keep (no id,
	// a time out of range, a malformed label) fails the call, and nothing
	// of it is written.
	AddRestrictions(ctx context.Context, submitter string, rs []restriction.Restriction) ([]Outcome, error)
	// Restriction returns one restriction by id; with vis set, one the
	// reader may not see is ErrNotFound, exactly as a missing one.
	Restriction(ctx context.Context, id string, vis *label.Visibility) (RestrictionRecord, error)
	// QueryRestrictions returns a page of the restrictions matching q,
	// newest first (by time, then by id, descending).
	QueryRestrictions(ctx context.Context, q RestrictionQuery) (RestrictionPage, error)
	// CountRestrictions counts the restrictions with a time in [from, to)
	// that vis allows, per party, as restriction.Count does. Zero times do
	// not bound, and a nil vis does not filter.
	CountRestrictions(ctx context.Context, from, to time.Time, vis *label.Visibility) ([]restriction.PartyCount, error)
}

// RestrictionRecord is a restriction as stored.
type RestrictionRecord struct {
	// Seq is the arrival order: unique and increasing.
	Seq int64
	// ReceivedAt is when the server committed it.
	ReceivedAt time.Time
	// Submitter is the user who sent it.
	Submitter string
	// Leaf is its index in the tamper-evident log.
	Leaf uint64
	// Label is its releasability.
	Label label.Label
	// Restriction is the restriction, read back from Feature.
	Restriction restriction.Restriction
	// Feature is its canonical bytes (restriction.Marshal), which its log
	// leaf commits to.
	Feature json.RawMessage
}

// RestrictionQuery selects restrictions. Zero fields do not filter.
type RestrictionQuery struct {
	// From and To bound the time, inclusive and exclusive.
	From, To time.Time
	// Party keeps only the restrictions by that party; "none" keeps those
	// whose party is not known.
	Party string
	// BBox is [west, south, east, north] in WGS84 degrees, west greater
	// than east crossing the antimeridian; nil for everywhere.
	BBox *[4]float64
	// Visible, when set, keeps only the restrictions a reader may see.
	// Every query made for a user sets it.
	Visible *label.Visibility
	// After is the cursor of the last restriction of the previous page.
	After *RestrictionCursor
	// Limit is the page size; it must be positive.
	Limit int
}

// RestrictionCursor marks a position in the order restrictions are
// returned in.
type RestrictionCursor struct {
	Time time.Time
	ID   string
}

// RestrictionPage is one page of a query's restrictions.
type RestrictionPage struct {
	Restrictions []RestrictionRecord
	// Next is the cursor for the following page, or nil on the last page.
	Next *RestrictionCursor
}
