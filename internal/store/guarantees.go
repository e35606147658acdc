package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/notify"
	"github.com/guarantor-project/guarantor/internal/trigger"
)

// KindGuaranteeStep is the kind under which determinations and the steps of
// obligations are logged.
const KindGuaranteeStep = "guarantee_step"

// Registry keeps what the guarantors promised: guarantors, instruments
// (with their trigger clauses) and commitments. The secretariat edits it;
// each put replaces the records with the same key.
type Registry interface {
	// PutRegistry stores the guarantors, instruments and commitments of r,
	// replacing those with the same code or id, in one transaction, and
	// moves RegistryVersion on.
	PutRegistry(ctx context.Context, r guarantee.Registry) error
	// LoadRegistry returns the whole registry: guarantors by code,
	// instruments by id, commitments by id.
	LoadRegistry(ctx context.Context) (guarantee.Registry, error)
	// RegistryVersion counts the changes to the registry.
	RegistryVersion(ctx context.Context) (int64, error)
	// QueryCommitments returns a page of the commitments matching q, by id.
	QueryCommitments(ctx context.Context, q CommitmentQuery) (CommitmentPage, error)
	// Commitment returns one commitment by id.
	Commitment(ctx context.Context, id string) (guarantee.Commitment, error)
}

// CommitmentQuery selects commitments. Zero fields do not filter.
type CommitmentQuery struct {
	Guarantor, Category, Instrument string
	// After is the id of the last commitment of the previous page.
	After string
	// Limit is the page size; it must be positive.
	Limit int
}

// CommitmentPage is one page of a query's commitments.
type CommitmentPage struct {
	Commitments []guarantee.Commitment
	// Next is the After of the following page, "" on the last page.
	Next string
}

// Activations keeps the activations the trigger clauses propose, the
// authority's determinations, and the obligations they create.
type Activations interface {
	// ProposeActivation stores a proposed activation and its events in one
	// transaction.
	ProposeActivation(ctx context.Context, a trigger.Activation, events []notify.Event) error
	// Activation returns one activation.
	Activation(ctx context.Context, id string) (ActivationRecord, error)
	// QueryActivations returns activations, newest proposal first.
	QueryActivations(ctx context.Context, q ActivationQuery) ([]ActivationRecord, error)
	// Determine stores the determination of an activation (a as it is
	// after it), the obligations it creates, the step in the log and the
	// events, in one transaction; ErrConflict when the stored activation is
	// no longer proposed.
	Determine(ctx context.Context, a trigger.Activation, obligations []trigger.Obligation, step GuaranteeStep, events []notify.Event) (GuaranteeStep, error)
	// Obligation returns one obligation.
	Obligation(ctx context.Context, id string) (ObligationRecord, error)
	// QueryObligations returns obligations, earliest deadline first.
	QueryObligations(ctx context.Context, q ObligationQuery) ([]ObligationRecord, error)
	// UpdateObligation stores an obligation after a step (o, whose history
	// is one step longer than the stored one's), the step in the log and
	// the events, in one transaction; ErrConflict when the stored history
	// is not one step shorter (another step was stored first).
	UpdateObligation(ctx context.Context, o trigger.Obligation, step GuaranteeStep, events []notify.Event) (GuaranteeStep, error)
	// GuaranteeSteps returns the logged steps of an activation or an
	// obligation, oldest first.
	GuaranteeSteps(ctx context.Context, record string) ([]GuaranteeStep, error)
}

// ActivationRecord is an activation as stored.
type ActivationRecord struct {
	Seq        int64
	Activation trigger.Activation
}

// ActivationQuery selects activations. Zero fields do not filter.
type ActivationQuery struct {
	State  trigger.ActivationState
	Clause string
	// Limit is the most returned; it must be positive.
	Limit int
}

// ObligationRecord is an obligation as stored.
type ObligationRecord struct {
	Seq        int64
	Obligation trigger.Obligation
}

// ObligationQuery selects obligations. Zero fields do not filter.
type ObligationQuery struct {
	Guarantor, Activation string
	State                 trigger.ObligationState
	// NotMet keeps only the obligations still open or acknowledged.
	NotMet bool
	// Limit is the most returned; it must be positive.
	Limit int
}

// GuaranteeStep is a determination or a step of an obligation, as logged.
type GuaranteeStep struct {
	// ID names the step; Record is the activation or obligation it is a
	// step of.
	ID, Record string
	// Body is its canonical JSON, which its log leaf commits to.
	Body json.RawMessage
	// Seq and Leaf are set by the store.
	Seq  int64
	Leaf uint64
}

// Notifications keeps the events about activations and obligations, the
// webhooks that want them, and the deliveries owed and attempted. Events are
// added by the writes of Activations, with a delivery for each webhook that
// wants them, in the same transaction.
type Notifications interface {
	notify.Outbox
	// AddEvents stores the events whose ids are not stored yet, each with
	// a delivery to every webhook that wants it.
	AddEvents(ctx context.Context, events []notify.Event) error
	// AddWebhook registers a webhook and returns its id.
	AddWebhook(ctx context.Context, w notify.Webhook, created time.Time) (int64, error)
	// ListWebhooks returns every webhook, by id.
	ListWebhooks(ctx context.Context) ([]notify.Webhook, error)
	// SetWebhookDisabled disables or enables a webhook; ErrNotFound if none.
	SetWebhookDisabled(ctx context.Context, id int64, disabled bool) error
	// DeliveryLog returns the last attempts to deliver to a webhook, newest
	// first.
	DeliveryLog(ctx context.Context, webhook int64, limit int) ([]notify.Attempt, error)
	// EventsSince returns up to limit events with Seq greater than after,
	// in order: the stream of server-sent events.
	EventsSince(ctx context.Context, after int64, limit int) ([]EventRecord, error)
	// LastEventSeq returns the Seq of the last event, 0 when none.
	LastEventSeq(ctx context.Context) (int64, error)
}

// EventRecord is an event as stored.
type EventRecord struct {
	Seq   int64
	Event notify.Event
}
