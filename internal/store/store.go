// Package store defines how guarantor keeps its records. The interfaces here
// are implemented by store/sqlite (the embedded default) and can be
// implemented by other engines; storetest holds the conformance suite that
// every implementation must pass.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// Store is everything guarantor keeps. Implementations are safe for
// concurrent use. A method that returns without error has committed its
// writes durably.
type Store interface {
	Observations
	Sensors
	TermsVersions
	Log
	Accounts
	Incidents
	Candidates
	Actions
	Restrictions
	Registry
	Activations
	Notifications
	// Close waits for pending writes and releases the store.
	Close() error
}

// Observations keeps observations, each once, by their client-supplied id.
type Observations interface {
	// AddObservations stores the observations that are not stored yet, in
	// one or more durable transactions, and reports for each whether it was
	// added or was a duplicate of an id already stored. Outcomes are in the
	// order of obs.
	// submitter is the user who sent them ("" for a tool that loads them).
	AddObservations(ctx context.Context, submitter string, obs []observe.Observation) ([]Outcome, error)
	// Observation returns the canonical Feature of one observation.
	Observation(ctx context.Context, id string) (StoredObservation, error)
	// QueryObservations returns a page of observations matching q, ordered
	// by observation time and then by arrival order.
	QueryObservations(ctx context.Context, q Query) (Page, error)
	// ObservationsSince returns up to limit observations with Seq greater
	// than after, in arrival order: the feed fusion follows, and catches up
	// on after a restart.
	ObservationsSince(ctx context.Context, after int64, limit int) ([]StoredObservation, error)
	// SetUnassociated records which acoustic detections fusion left
	// unassociated (add) and which it has since placed in an event
	// (remove), so that queries can list the detections no event explains.
	// Unknown ids are ignored.
	SetUnassociated(ctx context.Context, add, remove []string) error
	// Submitters returns the users who submitted the observations with
	// these ids, each once, sorted: who may not confirm a candidate that
	// rests on them. Unknown ids, and observations loaded by a tool, add
	// none.
	Submitters(ctx context.Context, ids []string) ([]string, error)
}

// Outcome is what happened to one observation given to AddObservations.
type Outcome int

// The outcomes of adding an observation.
const (
	Added     Outcome = iota + 1 // stored now
	Duplicate                    // an observation with this id was already stored; nothing changed
)

// StoredObservation is an observation as stored: its canonical GeoJSON
// Feature and the order and time it arrived.
type StoredObservation struct {
	// Seq is the arrival order: unique and increasing.
	Seq int64
	// ReceivedAt is when the server committed it.
	ReceivedAt time.Time
	// Feature is the canonical GeoJSON Feature (observe.Marshal).
	Feature json.RawMessage
	// Leaf is the observation's index in the tamper-evident log.
	Leaf uint64
	// Label is the observation's releasability.
	Label label.Label
}

// Query selects observations. Zero fields do not filter.
type Query struct {
	// BBox is [west, south, east, north] in WGS84 degrees; nil for everywhere.
	BBox *[4]float64
	// From and To bound the observation time, inclusive and exclusive.
	From, To time.Time
	// Kind keeps only observations of one kind.
	Kind observe.Kind
	// SourceID keeps only observations from one source.
	SourceID string
	// Unassociated keeps only the acoustic detections fusion left
	// unassociated (see SetUnassociated).
	Unassociated bool
	// Visible, when set, keeps only the observations a reader may see.
	// Every query made for a user sets it.
	Visible *label.Visibility
	// After is the cursor of the last observation of the previous page.
	After *Cursor
	// Limit is the page size; it must be positive.
	Limit int
}

// Cursor marks a position in the order observations are returned in.
type Cursor struct {
	ObservedAt time.Time
	Seq        int64
}

// Page is one page of a query's results.
type Page struct {
	Observations []StoredObservation
	// Next is the cursor for the following page, or nil on the last page.
	Next *Cursor
}

// Sensors keeps the registry of fixed sensors.
type Sensors interface {
	// PutSensors adds sensors or replaces those with the same id.
	PutSensors(ctx context.Context, sensors []observe.Sensor) error
	// Sensor returns one sensor by id.
	Sensor(ctx context.Context, id string) (observe.Sensor, error)
	// ListSensors returns every sensor, ordered by id.
	ListSensors(ctx context.Context) ([]observe.Sensor, error)
}

// TermsVersions keeps every version of the agreement terms ever loaded.
type TermsVersions interface {
	// AddTerms keeps a new version of the terms. Loading terms identical to
	// the newest version is a no-op that returns that version.
	AddTerms(ctx context.Context, t terms.Terms) (TermsVersion, error)
	// ListTerms returns every version, oldest first.
	ListTerms(ctx context.Context) ([]TermsVersion, error)
}

// TermsVersion is one loaded version of the terms.
type TermsVersion struct {
	// Seq numbers versions in the order they were loaded, from 1.
	Seq      int64
	LoadedAt time.Time
	Terms    terms.Terms
	// Leaf is the version's index in the tamper-evident log.
	Leaf uint64
}

// InForce returns the version in force at t: the one with the latest
// effective time not after t, and of those the last loaded. It reports false
// when none is in force yet.
func InForce(versions []TermsVersion, t time.Time) (TermsVersion, bool) {
	var best TermsVersion
	found := false
	for _, v := range versions {
		if v.Terms.EffectiveFrom.After(t) {
			continue
		}
		if !found || !v.Terms.EffectiveFrom.Before(best.Terms.EffectiveFrom) {
			best, found = v, true
		}
	}
	return best, found
}

// The kinds of logged records: the first line of every leaf's data (see
// ledger.RecordHash).
const (
	KindObservation = "observation"
	KindTerms       = "terms"
	KindAction      = "action"
	KindRestriction = "restriction"
)

// ErrBadProofRequest is returned for a proof of sizes or indices the log
// cannot prove, such as a size larger than the log.
var ErrBadProofRequest = errors.New("bad proof request")

// Log is the tamper-evident log. Every record a Store keeps is appended to
// it in the transaction that stores the record (see package ledger).
type Log interface {
	// LogHead returns the current size and root hash of the log.
	LogHead(ctx context.Context) (LogHead, error)
	// LogEntry returns the leaf at index.
	LogEntry(ctx context.Context, index uint64) (LogEntry, error)
	// InclusionProof proves that the leaf at index is in the tree of size
	// leaves; ErrBadProofRequest if index >= size or size exceeds the log.
	InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error)
	// ConsistencyProof proves that the tree of size from is a prefix of the
	// tree of size to; ErrBadProofRequest if from > to or to exceeds the log.
	ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error)
	// AddCheckpoint keeps a signed checkpoint.
	AddCheckpoint(ctx context.Context, cp StoredCheckpoint) error
	// LatestCheckpoint returns the checkpoint kept last, or ErrNotFound.
	LatestCheckpoint(ctx context.Context) (StoredCheckpoint, error)
	// Checkpoints returns every checkpoint kept, oldest first.
	Checkpoints(ctx context.Context) ([]StoredCheckpoint, error)
	// AddLogKey records a verifier key that signs checkpoints.
	AddLogKey(ctx context.Context, vkey string) error
	// LogKeys returns every verifier key recorded, oldest first.
	LogKeys(ctx context.Context) ([]string, error)
}

// LogHead is the current state of the log.
type LogHead struct {
	Size uint64
	Root []byte
}

// LogEntry is one leaf of the log: the record it commits to and its hash.
type LogEntry struct {
	Index uint64
	// Kind is the kind of record (KindObservation, KindTerms, ...).
	Kind string
	// Record is the record's id within its kind.
	Record string
	// LeafHash is ledger.RecordHash(Kind, the record's canonical bytes).
	LeafHash []byte
}

// StoredCheckpoint is a signed checkpoint as kept.
type StoredCheckpoint struct {
	Seq      int64
	Size     uint64
	Root     []byte
	IssuedAt time.Time
	// Note is the signed note, exactly as served.
	Note []byte
}

// ErrExists is returned when a record to be created exists already.
var ErrExists = errors.New("already exists")

// Accounts keeps users, their API tokens and their browser sessions. It
// stores only hashes of secrets.
type Accounts interface {
	// AddUser creates a user with a password hash ("" for a machine client
	// that signs in with tokens only); ErrExists if the name is taken.
	AddUser(ctx context.Context, u access.User, passwordHash string) error
	// User returns a user and their password hash.
	User(ctx context.Context, name string) (access.User, string, error)
	// ListUsers returns every user, ordered by name.
	ListUsers(ctx context.Context) ([]access.User, error)
	// SetUserDisabled disables or enables a user. Disabling also ends the
	// user's sessions; their tokens stop working while they are disabled.
	SetUserDisabled(ctx context.Context, name string, disabled bool) error
	// SetPassword replaces a user's password hash and ends their sessions.
	SetPassword(ctx context.Context, name, passwordHash string) error

	// AddToken keeps a token's hash for a user and returns the token's id.
	AddToken(ctx context.Context, t Token) (int64, error)
	// TokenUser returns the token with this hash and its user; ErrNotFound
	// if there is none or it was revoked.
	TokenUser(ctx context.Context, hash []byte) (Token, access.User, error)
	// ListTokens returns the tokens of a user ("" for every user), revoked
	// ones included, ordered by id.
	ListTokens(ctx context.Context, user string) ([]Token, error)
	// RevokeToken revokes a token by id; ErrNotFound if it does not exist.
	RevokeToken(ctx context.Context, id int64) error

	// AddSession keeps a new browser session.
	AddSession(ctx context.Context, s Session) error
	// Session returns the unexpired session with this hash and its user;
	// ErrNotFound otherwise.
	Session(ctx context.Context, hash []byte, now time.Time) (Session, access.User, error)
	// DeleteSession ends a session.
	DeleteSession(ctx context.Context, hash []byte) error
}

// Token is an API token as kept: the hash of the secret, never the secret.
type Token struct {
	ID        int64
	Hash      []byte
	User      string
	Label     string // what the token is for, e.g. "acoustic array 3"
	CreatedAt time.Time
	RevokedAt time.Time // zero while the token is valid
}

// Session is a browser session as kept.
type Session struct {
	Hash      []byte // SHA-256 of the session id in the cookie
	User      string
	CSRF      string // the token unsafe requests must echo
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Migration is one versioned schema change.
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time // zero when pending
}

// Incidents keeps the incidents fusion derives from observations. An
// incident is derived data: fusion can rebuild it from the observations,
// which are what the tamper-evident log protects.
type Incidents interface {
	// PutIncidents stores incidents, each replacing the stored incident
	// with its id unless the stored one has the same or a higher Version
	// (a replay after a restart rewrites nothing). Every incident written
	// gets a new Seq. All are written in one durable transaction.
	PutIncidents(ctx context.Context, incidents []IncidentRecord) error
	// Incident returns one incident by id; a merged incident is returned
	// too, with MergedInto set. With vis set, an incident the reader may
	// not see is ErrNotFound.
	Incident(ctx context.Context, id string, vis *label.Visibility) (IncidentRecord, error)
	// QueryIncidents returns a page of the incidents matching q that are
	// not merged into another, newest start first.
	QueryIncidents(ctx context.Context, q IncidentQuery) (IncidentPage, error)
	// IncidentsSince returns up to limit incidents (merged ones included)
	// with Seq greater than after, in Seq order, that vis allows: the
	// changes a stream sends.
	IncidentsSince(ctx context.Context, after int64, vis *label.Visibility, limit int) ([]IncidentRecord, error)
	// LastIncidentSeq returns the Seq of the last incident written, 0 when
	// none was: where a stream that starts now begins.
	LastIncidentSeq(ctx context.Context) (int64, error)
	// CountIncidents counts the incidents matching q (its cursor and limit
	// aside) on a grid of cells of cellDeg degrees, by the centre of each
	// incident's box: what a map shows when there are too many to draw.
	// Cells with none are left out.
	CountIncidents(ctx context.Context, q IncidentQuery, cellDeg float64) ([]IncidentCell, error)
}

// IncidentCell is one cell of CountIncidents: its centre, and how many
// incidents it holds, in all and by class.
type IncidentCell struct {
	Lon, Lat float64
	Count    int
	ByClass  map[string]int
}

// IncidentRecord is an incident as stored: the fields queries filter on,
// and the canonical GeoJSON Feature the API returns.
type IncidentRecord struct {
	ID      string
	Version int
	// Seq orders writes: unique and increasing, set by the store.
	Seq int64
	// Class is what kind of incident it is ("fire", "equipment").
	Class string
	// Start and End bound its time.
	Start, End time.Time
	// BBox is [west, south, east, north] of its 95 % ellipse.
	BBox [4]float64
	// Party is the attributed party, empty when not attributable.
	Party string
	// Confidence is its confidence level ("single_source", "corroborated").
	Confidence string
	// Label is its releasability: the most restrictive of its observations'.
	Label label.Label
	// Observations are the ids of the observations it rests on.
	Observations []string
	// MergedInto names the incident this one was merged into, if any.
	MergedInto string
	// Feature is the canonical GeoJSON Feature.
	Feature json.RawMessage
}

// IncidentQuery selects incidents. Zero fields do not filter.
type IncidentQuery struct {
	// BBox is [west, south, east, north]; an incident matches when its
	// BBox intersects it.
	BBox *[4]float64
	// From and To select incidents whose [Start, End] overlaps [From, To).
	From, To time.Time
	// Class, Party and Confidence keep only incidents with that value;
	// Party "none" keeps the incidents not attributable.
	Class, Party, Confidence string
	// Visible, when set, keeps only the incidents a reader may see.
	Visible *label.Visibility
	// After is the cursor of the last incident of the previous page.
	After *IncidentCursor
	// Limit is the page size; it must be positive.
	Limit int
}

// IncidentCursor marks a position in the order incidents are returned in.
type IncidentCursor struct {
	Start time.Time
	ID    string
}

// IncidentPage is one page of a query's incidents.
type IncidentPage struct {
	Incidents []IncidentRecord
	// Next is the cursor for the following page, or nil on the last page.
	Next *IncidentCursor
}

// Candidates keeps the candidate violations the rules find in incidents.
// Like incidents they are derived data: the rules can find them again.
type Candidates interface {
	// PutCandidates stores candidates, each replacing the stored one with
	// its id unless the stored one has the same Feature and is current
	// (then nothing is written). The stored candidates of the given
	// incidents that are not among candidates are withdrawn: the rules no
	// longer find them. Every candidate written or withdrawn gets a new
	// Seq. A candidate's State is the workflow's and is never changed
	// here. All is written in one durable transaction.
	PutCandidates(ctx context.Context, incidents []string, candidates []CandidateRecord) error
	// Candidate returns one candidate by id; with vis set, one the reader
	// may not see is ErrNotFound.
	Candidate(ctx context.Context, id string, vis *label.Visibility) (CandidateRecord, error)
	// QueryCandidates returns a page of the current (not withdrawn)
	// candidates matching q in the order of the analysts' queue: gravest
	// first, then oldest first.
	QueryCandidates(ctx context.Context, q CandidateQuery) (CandidatePage, error)
	// CandidatesSince returns up to limit candidates with Seq greater than
	// after, in Seq order, that vis allows: the changes a stream sends.
	CandidatesSince(ctx context.Context, after int64, vis *label.Visibility, limit int) ([]CandidateRecord, error)
	// LastCandidateSeq returns the Seq of the last candidate written, 0
	// when none was.
	LastCandidateSeq(ctx context.Context) (int64, error)
}

// CandidateRecord is a candidate violation as stored: the fields queries
// filter on, and its canonical JSON.
type CandidateRecord struct {
	ID string
	// Seq orders writes: unique and increasing, set by the store.
	Seq int64
	// Type is the violation type; Party the party responsible ("" when not
	// attributable); Severity "minor", "serious" or "major".
	Type, Party, Severity string
	// Incident is the incident it rests on.
	Incident string
	// Time is when it happened.
	Time time.Time
	// Label is its releasability: the incident's.
	Label label.Label
	// Feature is its canonical JSON (a GeoJSON Feature at its position).
	Feature json.RawMessage
	// State is its state in the analysts' workflow (verify.State), set by
	// its last action; "open" when none was taken.
	State string
	// Withdrawn is true when the rules no longer find it.
	Withdrawn bool
	// SplitFrom names the candidate an analyst split this one from; the
	// rules never withdraw such a part.
	SplitFrom string
}

// CandidateQuery selects candidates. Zero fields do not filter.
type CandidateQuery struct {
	// From and To bound Time, inclusive and exclusive.
	From, To time.Time
	// Type, Party, Severity and State keep only candidates with that
	// value; Party "none" keeps those not attributable.
	Type, Party, Severity, State string
	// Incident keeps only the candidates that rest on the incident with
	// that id.
	Incident string
	// Withdrawn lists the candidates the rules withdrew too (Withdrawn
	// set on them): an incident's whole history, not only its current
	// candidates.
	Withdrawn bool
	// Visible, when set, keeps only the candidates a reader may see.
	Visible *label.Visibility
	// After is the cursor of the last candidate of the previous page.
	After *CandidateCursor
	// Limit is the page size; it must be positive.
	Limit int
}

// CandidateCursor marks a position in the queue's order.
type CandidateCursor struct {
	Severity string
	Time     time.Time
	ID       string
}

// CandidatePage is one page of a query's candidates.
type CandidatePage struct {
	Candidates []CandidateRecord
	// Next is the cursor for the following page, or nil on the last page.
	Next *CandidateCursor
}

// ErrConflict is returned when a write rests on a state that has changed
// since it was read: another analyst acted on the candidate first.
var ErrConflict = errors.New("conflict")

// Actions keeps the analysts' actions on candidates: primary records,
// appended to the tamper-evident log, never edited.
type Actions interface {
	// AddAction stores an action as the a.N-th of its candidate's history,
	// sets the candidate's State to state and gives it a new Seq, and
	// appends the action to the log, in one durable transaction. It
	// returns the action as stored. ErrConflict if the history does not
	// hold a.N-1 actions; ErrExists if an action with a.ID is stored;
	// ErrNotFound if there is no such candidate.
	AddAction(ctx context.Context, a ActionRecord, state string) (ActionRecord, error)
	// Action returns one action by id.
	Action(ctx context.Context, id string) (ActionRecord, error)
	// Actions returns the history of a candidate, oldest first.
	Actions(ctx context.Context, candidate string) ([]ActionRecord, error)
	// QueryActions returns a page of the actions matching q, newest first.
	QueryActions(ctx context.Context, q ActionQuery) (ActionPage, error)
}

// ActionQuery selects actions. Zero fields do not filter.
type ActionQuery struct {
	// Candidate, Analyst, Nation and Kind keep only actions with that value.
	Candidate, Analyst, Nation, Kind string
	// From and To bound the action's time, inclusive and exclusive.
	From, To time.Time
	// Visible, when set, keeps only the actions on candidates a reader may
	// see: an action carries its candidate's label.
	Visible *label.Visibility
	// After is the Seq of the last action of the previous page.
	After int64
	// Limit is the page size; it must be positive.
	Limit int
}

// ActionPage is one page of a query's actions.
type ActionPage struct {
	Actions []ActionRecord
	// Next is the Seq to pass as After for the following page, 0 on the
	// last page.
	Next int64
}

// ActionRecord is an analyst's action on a candidate, as kept.
type ActionRecord struct {
	// ID names the action; a client that retries sends the same id, and
	// the action is kept once.
	ID        string
	Candidate string
	// N is its place in the candidate's history, from 1.
	N      int
	Action verify.Action
	// Seq and Leaf are set by the store: the order of all actions, and the
	// action's index in the tamper-evident log.
	Seq  int64
	Leaf uint64
}

// actionJSON is the canonical form of an action: what its log leaf
// commits to and what the API returns.
type actionJSON struct {
	ID        string    `json:"id"`
	Candidate string    `json:"candidate"`
	N         int       `json:"n"`
	Kind      string    `json:"kind"`
	Analyst   string    `json:"analyst"`
	Nation    string    `json:"nation"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason"`
	Target    string    `json:"target,omitempty"`
	Parts     []string  `json:"parts,omitempty"`
}

// Canonical returns the action's canonical JSON.
func (a ActionRecord) Canonical() ([]byte, error) {
	return json.Marshal(actionJSON{ID: a.ID, Candidate: a.Candidate, N: a.N, Kind: string(a.Action.Kind),
		Analyst: a.Action.Analyst.Name, Nation: a.Action.Analyst.Nation, At: a.Action.At.UTC(),
		Reason: a.Action.Reason, Target: a.Action.Target, Parts: a.Action.Parts})
}

// ParseAction reads an action from its canonical JSON.
func ParseAction(b []byte) (ActionRecord, error) {
	var j actionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return ActionRecord{}, fmt.Errorf("parse action: %w", err)
	}
	return ActionRecord{ID: j.ID, Candidate: j.Candidate, N: j.N, Action: verify.Action{
		Kind: verify.Kind(j.Kind), Analyst: verify.Analyst{Name: j.Analyst, Nation: j.Nation}, At: j.At,
		Reason: j.Reason, Target: j.Target, Parts: j.Parts}}, nil
}
