package storetest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/notify"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/trigger"
)

// guaranteeTests are the conformance tests of store.Registry,
// store.Activations and store.Notifications, each run on a fresh store.
var guaranteeTests = []struct {
	name string
	fn   func(t *testing.T, h Harness)
}{
	{"Registry", testRegistry},
	{"CommitmentQueries", testCommitmentQueries},
	{"RegistryDurable", testRegistryDurable},
	{"ActivationPropose", testActivationPropose},
	{"ActivationDetermine", testActivationDetermine},
	{"ObligationQueries", testObligationQueries},
	{"ObligationUpdates", testObligationUpdates},
	{"ActivationsDurable", testActivationsDurable},
	{"Webhooks", testWebhooks},
	{"EventDeliveries", testEventDeliveries},
	{"Outbox", testOutbox},
	{"NotificationsDurable", testNotificationsDurable},
}

// The clauses of the demonstration registry the tests activate. Each
// obliges GBR and FRA.
const (
	clauseConvene = "coalition-declaration-2026.convene-48h" // leaders convene within 48 hours
	clauseAssist  = "mnf-ukraine-2026.assist-72h"            // assistance within 72 hours
)

// mustJSON returns the JSON encoding of v.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return b
}

// sameJSON reports whether two JSON documents hold the same value, whatever
// the order of their keys and their spacing.
func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// sortedRegistry returns a copy of r in the order LoadRegistry returns it:
// guarantors by code, instruments and commitments by id.
func sortedRegistry(r guarantee.Registry) guarantee.Registry {
	return guarantee.Registry{
		Guarantors:  mergeByKey(nil, r.Guarantors, guarantorCode),
		Instruments: mergeByKey(nil, r.Instruments, instrumentID),
		Commitments: mergeByKey(nil, r.Commitments, commitmentID),
	}
}

func guarantorCode(g guarantee.Guarantor) string         { return g.Code }
func instrumentID(in guarantee.Instrument) string        { return in.ID }
func commitmentID(c guarantee.Commitment) string         { return c.ID }
func obligationID(o trigger.Obligation) string           { return o.ID }
func obligationRecordID(r store.ObligationRecord) string { return r.Obligation.ID }

// mergeByKey returns the records of old and put, those of put replacing
// those of old with the same key, ordered by key.
func mergeByKey[T any](old, put []T, key func(T) string) []T {
	byKey := map[string]T{}
	for _, r := range old {
		byKey[key(r)] = r
	}
	for _, r := range put {
		byKey[key(r)] = r
	}
	out := make([]T, 0, len(byKey))
	for _, r := range byKey {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return out
}

func keysOf[T any](rs []T, key func(T) string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = key(r)
	}
	return out
}

// checkRecords checks that got holds the records of want, in order, each
// as it was put.
func checkRecords[T any](t *testing.T, how string, got, want []T, key func(T) string) {
	t.Helper()
	if gk, wk := keysOf(got, key), keysOf(want, key); !slices.Equal(gk, wk) {
		t.Errorf("%s = %v\nwant %v", how, gk, wk)
		return
	}
	for i := range got {
		if g, w := mustJSON(t, got[i]), mustJSON(t, want[i]); !bytes.Equal(g, w) {
			t.Errorf("%s: %s came back as\n%s\nwant\n%s", how, key(want[i]), g, w)
		}
	}
}

func checkRegistry(t *testing.T, how string, got, want guarantee.Registry) {
	t.Helper()
	checkRecords(t, how+": guarantors", got.Guarantors, want.Guarantors, guarantorCode)
	checkRecords(t, how+": instruments", got.Instruments, want.Instruments, instrumentID)
	checkRecords(t, how+": commitments", got.Commitments, want.Commitments, commitmentID)
}

func mustPutRegistry(t *testing.T, s store.Store, r guarantee.Registry) {
	t.Helper()
	if err := s.PutRegistry(ctx(t), r); err != nil {
		t.Fatalf("PutRegistry: %v", err)
	}
}

func mustLoadRegistry(t *testing.T, s store.Store) guarantee.Registry {
	t.Helper()
	r, err := s.LoadRegistry(ctx(t))
	if err != nil {
		t.Fatalf("LoadRegistry: %v", err)
	}
	return r
}

func mustRegistryVersion(t *testing.T, s store.Store) int64 {
	t.Helper()
	v, err := s.RegistryVersion(ctx(t))
	if err != nil {
		t.Fatalf("RegistryVersion: %v", err)
	}
	return v
}

// demoCommitment returns a commitment of the demonstration registry.
func demoCommitment(t *testing.T, r guarantee.Registry, id string) guarantee.Commitment {
	t.Helper()
	for _, c := range r.Commitments {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no commitment %s in the demonstration registry", id)
	return guarantee.Commitment{}
}

// registryUpdate is the secretariat's second load after the demonstration
// registry: GBR renamed; GBR's bilateral instrument amended, with an end
// and a longer deadline in its clause; three commitments corrected (a
// delivery recorded, one reclassified under another instrument and
// category, one moved to the guarantor that made it); and a guarantor, an
// instrument and a commitment added. It returns what is put and the
// registry expected after it.
func registryUpdate(t *testing.T) (put, want guarantee.Registry) {
	t.Helper()
	demo := guarantee.Demo()
	gbr, ok := demo.Guarantor("GBR")
	if !ok {
		t.Fatal("no GBR in the demonstration registry")
	}
	gbr.Name = "United Kingdom of Great Britain and Northern Ireland"
	in, ok := demo.Instrument("gbr-ukr-2024")
	if !ok || len(in.Clauses) == 0 || len(in.Clauses[0].Obligations) == 0 {
		t.Fatal("no gbr-ukr-2024 with a clause in the demonstration registry")
	}
	in.Title += " (as amended)"
	in.InForceUntil = guarantee.NewDate(2034, time.January, 11)
	in.Clauses = slices.Clone(in.Clauses)
	in.Clauses[0].Obligations = slices.Clone(in.Clauses[0].Obligations)
	in.Clauses[0].Obligations[0].Deadline = trigger.Duration(48 * time.Hour)

	delivered := demoCommitment(t, demo, "gbr-air-defence-1")
	delivered.Allocated = 350
	delivered.Deliveries = append(slices.Clone(delivered.Deliveries),
		guarantee.Delivery{Date: guarantee.NewDate(2025, time.March, 14), Amount: 80, Note: "remainder of the second batch"})
	reclassified := demoCommitment(t, demo, "ita-demining-1")
	reclassified.Instrument, reclassified.Category = "ita-ukr-2024", guarantee.Humanitarian
	moved := demoCommitment(t, demo, "lux-cyber-defence-1")
	moved.Guarantor = "EST" // entered under the wrong guarantor

	che := guarantee.Guarantor{Code: "CHE", Name: "Switzerland", Kind: guarantee.Nation}
	cheIn := guarantee.Instrument{ID: "che-ukr-2026", Title: "Switzerland–Ukraine memorandum on humanitarian demining (illustrative record)",
		Kind: guarantee.Bilateral, Signatories: []string{"CHE", "UKR"}, Signed: guarantee.NewDate(2026, time.March, 2),
		Binding: guarantee.Political, Illustrative: true}
	cheC := guarantee.Commitment{ID: "che-demining-1", Instrument: cheIn.ID, Guarantor: "CHE", Category: guarantee.Demining,
		Description: "Demining machines (illustrative figure, not a real pledge)", Quantity: 12, Unit: "machines",
		Committed: 12, Allocated: 6, Illustrative: true}

	put = guarantee.Registry{
		Guarantors:  []guarantee.Guarantor{che, gbr},
		Instruments: []guarantee.Instrument{in, cheIn},
		Commitments: []guarantee.Commitment{reclassified, cheC, delivered, moved},
	}
	want = guarantee.Registry{
		Guarantors:  mergeByKey(demo.Guarantors, put.Guarantors, guarantorCode),
		Instruments: mergeByKey(demo.Instruments, put.Instruments, instrumentID),
		Commitments: mergeByKey(demo.Commitments, put.Commitments, commitmentID),
	}
	return put, want
}

// filterCommitments returns the commitments of cs (ordered by id) that q
// selects, ignoring its limit.
func filterCommitments(cs []guarantee.Commitment, q store.CommitmentQuery) []guarantee.Commitment {
	var out []guarantee.Commitment
	for _, c := range cs {
		if (q.Guarantor == "" || c.Guarantor == q.Guarantor) && (q.Category == "" || string(c.Category) == q.Category) &&
			(q.Instrument == "" || c.Instrument == q.Instrument) && c.ID > q.After {
			out = append(out, c)
		}
	}
	return out
}

// queryCommitments returns every commitment matching q, read in pages of
// q.Limit, checking that every page but the last is full and that Next is
// the last id of its page.
func queryCommitments(t *testing.T, s store.Store, q store.CommitmentQuery) []guarantee.Commitment {
	t.Helper()
	var out []guarantee.Commitment
	for range 10_000 {
		p, err := s.QueryCommitments(ctx(t), q)
		if err != nil {
			t.Fatalf("QueryCommitments(%+v): %v", q, err)
		}
		if len(p.Commitments) > q.Limit {
			t.Fatalf("a page of %d, more than the limit %d", len(p.Commitments), q.Limit)
		}
		out = append(out, p.Commitments...)
		if p.Next == "" {
			return out
		}
		if len(p.Commitments) != q.Limit {
			t.Fatalf("a page of %d before the last, want %d", len(p.Commitments), q.Limit)
		}
		if last := p.Commitments[len(p.Commitments)-1].ID; p.Next != last {
			t.Fatalf("Next = %q, want %q, the last id of the page", p.Next, last)
		}
		q.After = p.Next
	}
	t.Fatal("QueryCommitments pagination does not end")
	return nil
}

func testRegistry(t *testing.T, h Harness) {
	s := h.Store
	v0 := mustRegistryVersion(t, s)
	checkRegistry(t, "an empty store's registry", mustLoadRegistry(t, s), guarantee.Registry{})

	// The demonstration registry lists its records in no key order: the
	// store returns them by code and by id.
	demo := guarantee.Demo()
	mustPutRegistry(t, s, demo)
	v1 := mustRegistryVersion(t, s)
	if v1 == v0 {
		t.Errorf("RegistryVersion stayed %d after a put", v1)
	}
	checkRegistry(t, "after the first put", mustLoadRegistry(t, s), sortedRegistry(demo))

	// A second put replaces the records with the same key and adds the new
	// ones; the records it does not name stay as they were.
	put, want := registryUpdate(t)
	mustPutRegistry(t, s, put)
	v2 := mustRegistryVersion(t, s)
	if v2 == v1 || v2 == v0 {
		t.Errorf("RegistryVersion went %d, %d, %d over two puts: it must move on each", v0, v1, v2)
	}
	checkRegistry(t, "after the second put", mustLoadRegistry(t, s), want)

	// The columns queries filter on follow the replaced records.
	for _, q := range []store.CommitmentQuery{
		{Category: string(guarantee.Demining)},
		{Category: string(guarantee.Humanitarian)},
		{Instrument: "coalition-declaration-2026"},
		{Instrument: "ita-ukr-2024"},
		{Guarantor: "LUX"},
		{Guarantor: "EST"},
		{Guarantor: "CHE"},
	} {
		q.Limit = 100
		checkRecords(t, fmt.Sprintf("after the second put, commitments %+v", q), queryCommitments(t, s, q),
			filterCommitments(want.Commitments, q), commitmentID)
	}
	if got := queryCommitments(t, s, store.CommitmentQuery{Guarantor: "LUX", Limit: 100}); len(got) != 0 {
		t.Errorf("LUX still has %v after its only commitment moved to EST", keysOf(got, commitmentID))
	}
	c, err := s.Commitment(ctx(t), "gbr-air-defence-1")
	if err != nil {
		t.Fatalf("Commitment(gbr-air-defence-1): %v", err)
	}
	if c.Allocated != 350 || len(c.Deliveries) != 3 {
		t.Errorf("the replaced commitment: allocated %v, %d deliveries; want 350 and 3", c.Allocated, len(c.Deliveries))
	}

	// Putting the same records again still counts as a change.
	mustPutRegistry(t, s, put)
	if v3 := mustRegistryVersion(t, s); v3 == v2 || v3 == v1 || v3 == v0 {
		t.Errorf("RegistryVersion went %d, %d, %d, %d over three puts: it must move on each", v0, v1, v2, v3)
	}
	checkRegistry(t, "after the same put twice", mustLoadRegistry(t, s), want)
}

func testCommitmentQueries(t *testing.T, h Harness) {
	s := h.Store
	demo := guarantee.Demo()
	mustPutRegistry(t, s, demo)
	all := sortedRegistry(demo).Commitments

	gbr := queryCommitments(t, s, store.CommitmentQuery{Guarantor: "GBR", Limit: 100})
	if got, want := keysOf(gbr, commitmentID), []string{"gbr-air-defence-1", "gbr-financial-1", "gbr-sanctions-1", "gbr-training-1"}; !slices.Equal(got, want) {
		t.Errorf("GBR's commitments = %v, want %v", got, want)
	}

	tests := []struct {
		name string
		q    store.CommitmentQuery
	}{
		{"all", store.CommitmentQuery{}},
		{"guarantor", store.CommitmentQuery{Guarantor: "FRA"}},
		{"category", store.CommitmentQuery{Category: string(guarantee.Financial)}},
		{"instrument", store.CommitmentQuery{Instrument: "coalition-declaration-2026"}},
		{"guarantor and category", store.CommitmentQuery{Guarantor: "GBR", Category: string(guarantee.Financial)}},
		{"guarantor and instrument", store.CommitmentQuery{Guarantor: "GBR", Instrument: "mnf-ukraine-2026"}},
		{"category and instrument", store.CommitmentQuery{Category: string(guarantee.Training), Instrument: "mnf-ukraine-2026"}},
		{"all three", store.CommitmentQuery{Guarantor: "DEU", Category: string(guarantee.AirDefence), Instrument: "deu-ukr-2024"}},
		{"after an id that is not stored", store.CommitmentQuery{After: "m"}},
		{"after an id, with a filter", store.CommitmentQuery{Category: string(guarantee.Training), After: "gbr-training-1"}},
		{"a guarantor without commitments", store.CommitmentQuery{Guarantor: "UKR"}},
		{"a category without commitments here", store.CommitmentQuery{Guarantor: "GBR", Category: string(guarantee.Naval)}},
		{"an unknown instrument", store.CommitmentQuery{Instrument: "no-such-instrument"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := filterCommitments(all, tc.q)
			if tc.name == "all" && len(want) != len(demo.Commitments) {
				t.Fatalf("the filter of the test selects %d of %d", len(want), len(demo.Commitments))
			}
			for _, limit := range []int{1, 3, 100} {
				q := tc.q
				q.Limit = limit
				checkRecords(t, fmt.Sprintf("in pages of %d", limit), queryCommitments(t, s, q), want, commitmentID)
			}
			if len(want) > 0 {
				// A page that holds exactly what is left is the last one.
				q := tc.q
				q.Limit = len(want)
				p, err := s.QueryCommitments(ctx(t), q)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Commitments) != len(want) || p.Next != "" {
					t.Errorf("a page of exactly the %d matching: %d commitments, next %q; want all, and no next", len(want), len(p.Commitments), p.Next)
				}
			}
		})
	}

	for _, limit := range []int{0, -1} {
		if _, err := s.QueryCommitments(ctx(t), store.CommitmentQuery{Limit: limit}); err == nil {
			t.Errorf("QueryCommitments with limit %d must be refused", limit)
		}
	}

	for _, want := range []guarantee.Commitment{demoCommitment(t, demo, "gbr-air-defence-1"), demoCommitment(t, demo, "ita-demining-1")} {
		got, err := s.Commitment(ctx(t), want.ID)
		if err != nil {
			t.Fatalf("Commitment(%s): %v", want.ID, err)
		}
		checkRecords(t, "Commitment", []guarantee.Commitment{got}, []guarantee.Commitment{want}, commitmentID)
	}
	for _, id := range []string{"no-such-commitment", "", "GBR", "gbr-ukr-2024"} {
		if _, err := s.Commitment(ctx(t), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Commitment(%q): error %v, want ErrNotFound", id, err)
		}
	}
}

func testRegistryDurable(t *testing.T, h Harness) {
	s := h.Store
	mustPutRegistry(t, s, guarantee.Demo())
	put, want := registryUpdate(t)
	mustPutRegistry(t, s, put)
	v := mustRegistryVersion(t, s)

	s = h.Reopen()
	checkRegistry(t, "after reopen", mustLoadRegistry(t, s), want)
	if got := mustRegistryVersion(t, s); got != v {
		t.Errorf("RegistryVersion = %d after reopen, want %d", got, v)
	}
	q := store.CommitmentQuery{Guarantor: "EST", Limit: 2}
	checkRecords(t, "EST's commitments after reopen", queryCommitments(t, s, q), filterCommitments(want.Commitments, q), commitmentID)
	if _, err := s.Commitment(ctx(t), "che-demining-1"); err != nil {
		t.Errorf("Commitment(che-demining-1) after reopen: %v", err)
	}
	mustPutRegistry(t, s, put)
	if got := mustRegistryVersion(t, s); got == v {
		t.Errorf("RegistryVersion stayed %d after a put following a reopen", got)
	}
}

// demoClause returns a trigger clause of the demonstration registry, with
// its instrument set, as the server reads clauses from the registry.
func demoClause(t *testing.T, id string) trigger.Clause {
	t.Helper()
	for _, in := range guarantee.Demo().Instruments {
		for _, c := range in.Clauses {
			if c.ID == id {
				c.Instrument = in.ID
				return c
			}
		}
	}
	t.Fatalf("no clause %s in the demonstration registry", id)
	return trigger.Clause{}
}

// guaranteeEvent is an event about a record, named as the server names
// them by its type and the record, so that it is stored once however often
// it is made.
func guaranteeEvent(t *testing.T, typ, record string, at time.Time, data map[string]any) notify.Event {
	return notify.Event{ID: typ + ":" + record, Type: typ, At: at, Data: mustJSON(t, data)}
}

// proposedEvent is the activation.proposed event of a proposal.
func proposedEvent(t *testing.T, a trigger.Activation) notify.Event {
	return guaranteeEvent(t, notify.ActivationProposed, a.ID, a.ProposedAt,
		map[string]any{"activation": a.ID, "clause": a.Clause, "instrument": a.Instrument, "findings": len(a.Findings)})
}

// mustPropose stores the activation a proposal of clause c opens, resting
// on findings and made at at, with its event, and returns it.
func mustPropose(t *testing.T, s store.Store, id string, c trigger.Clause, at time.Time, findings ...string) trigger.Activation {
	t.Helper()
	a := trigger.Propose(id, trigger.Proposal{Clause: c.ID, Instrument: c.Instrument, Findings: findings, At: at})
	if err := s.ProposeActivation(ctx(t), a, []notify.Event{proposedEvent(t, a)}); err != nil {
		t.Fatalf("ProposeActivation(%s): %v", id, err)
	}
	return a
}

// determination is what the store is given for the authority's
// determination of an activation: the activation after it, the
// obligations it creates, the step to log and the events.
type determination struct {
	a      trigger.Activation
	obls   []trigger.Obligation
	step   store.GuaranteeStep
	events []notify.Event
}

// determine applies the authority's determination of a (proposed under
// clause c) made at at, and makes its step and events as the server does.
func determine(t *testing.T, a trigger.Activation, c trigger.Clause, confirm bool, at time.Time) determination {
	t.Helper()
	d := trigger.Determination{Confirm: confirm, By: "authority.fra", Nation: "FRA", At: at,
		Reason: "the verified findings show repeated major attacks by party B"}
	if !confirm {
		d.Reason = "the findings do not reach the clause's threshold"
	}
	out, obls, err := trigger.Determine(a, c, d)
	if err != nil {
		t.Fatalf("determine %s: %v", a.ID, err)
	}
	ids := keysOf(obls, obligationID)
	body := mustJSON(t, map[string]any{"activation": out.ID, "clause": out.Clause, "findings": out.Findings, "confirm": confirm,
		"by": d.By, "nation": d.Nation, "at": at.UTC(), "reason": d.Reason, "obligations": ids})
	events := []notify.Event{guaranteeEvent(t, notify.ActivationDetermined, out.ID, at,
		map[string]any{"activation": out.ID, "clause": out.Clause, "confirm": confirm, "by": d.By, "obligations": len(obls)})}
	for _, o := range obls {
		events = append(events, guaranteeEvent(t, notify.ObligationCreated, o.ID, at,
			map[string]any{"obligation": o.ID, "activation": o.Activation, "guarantor": o.Guarantor, "deadline": o.Deadline, "state": o.State}))
	}
	return determination{a: out, obls: obls, step: store.GuaranteeStep{ID: out.ID + "#determination", Record: out.ID, Body: body}, events: events}
}

func mustDetermine(t *testing.T, s store.Store, d determination) store.GuaranteeStep {
	t.Helper()
	step, err := s.Determine(ctx(t), d.a, d.obls, d.step, d.events)
	if err != nil {
		t.Fatalf("Determine(%s): %v", d.a.ID, err)
	}
	return step
}

// obligationOf returns the obligation of a guarantor that a determination
// creates.
func obligationOf(t *testing.T, d determination, guarantor string) trigger.Obligation {
	t.Helper()
	for _, o := range d.obls {
		if o.Guarantor == guarantor {
			return o
		}
	}
	t.Fatalf("the determination of %s creates no obligation for %s", d.a.ID, guarantor)
	return trigger.Obligation{}
}

// liaison is the liaison officer of a nation.
func liaison(nation string) trigger.Actor {
	return trigger.Actor{Name: "liaison." + nation, Nation: nation, Liaison: true}
}

// act applies a person's action to o.
func act(t *testing.T, o trigger.Obligation, who trigger.Actor, kind, note string, at time.Time) trigger.Obligation {
	t.Helper()
	out, err := trigger.Act(o, who, trigger.ObligationAction{Kind: kind, Note: note, At: at})
	if err != nil {
		t.Fatalf("act on %s: %v", o.ID, err)
	}
	return out
}

// obligationStep makes the step to log and the event of o's last action,
// as the server does.
func obligationStep(t *testing.T, o trigger.Obligation) (store.GuaranteeStep, []notify.Event) {
	t.Helper()
	if len(o.History) == 0 {
		t.Fatalf("obligation %s has no step", o.ID)
	}
	a := o.History[len(o.History)-1]
	key := fmt.Sprintf("%s#%d", o.ID, len(o.History))
	body := mustJSON(t, map[string]any{"obligation": o.ID, "n": len(o.History), "kind": a.Kind, "by": a.By, "nation": a.Nation,
		"at": a.At.UTC(), "note": a.Note, "notify": a.Step, "state": o.State})
	typ := notify.ObligationUpdated
	if a.Kind == trigger.KindEscalate {
		typ = notify.ObligationEscalated
	}
	ev := guaranteeEvent(t, typ, key, a.At, map[string]any{"obligation": o.ID, "guarantor": o.Guarantor, "kind": a.Kind, "state": o.State})
	return store.GuaranteeStep{ID: key, Record: o.ID, Body: body}, []notify.Event{ev}
}

// mustUpdate stores o after its last step.
func mustUpdate(t *testing.T, s store.Store, o trigger.Obligation) store.GuaranteeStep {
	t.Helper()
	step, events := obligationStep(t, o)
	got, err := s.UpdateObligation(ctx(t), o, step, events)
	if err != nil {
		t.Fatalf("UpdateObligation(%s): %v", o.ID, err)
	}
	return got
}

func mustActivation(t *testing.T, s store.Store, id string) store.ActivationRecord {
	t.Helper()
	r, err := s.Activation(ctx(t), id)
	if err != nil {
		t.Fatalf("Activation(%s): %v", id, err)
	}
	return r
}

func mustObligation(t *testing.T, s store.Store, id string) store.ObligationRecord {
	t.Helper()
	r, err := s.Obligation(ctx(t), id)
	if err != nil {
		t.Fatalf("Obligation(%s): %v", id, err)
	}
	return r
}

func mustSteps(t *testing.T, s store.Store, record string) []store.GuaranteeStep {
	t.Helper()
	steps, err := s.GuaranteeSteps(ctx(t), record)
	if err != nil {
		t.Fatalf("GuaranteeSteps(%s): %v", record, err)
	}
	return steps
}

func mustLastEventSeq(t *testing.T, s store.Store) int64 {
	t.Helper()
	seq, err := s.LastEventSeq(ctx(t))
	if err != nil {
		t.Fatalf("LastEventSeq: %v", err)
	}
	return seq
}

// guaranteeLogSize returns the size of the log.
func guaranteeLogSize(t *testing.T, s store.Store) uint64 {
	t.Helper()
	head, err := s.LogHead(ctx(t))
	if err != nil {
		t.Fatalf("LogHead: %v", err)
	}
	return head.Size
}

// checkActivation checks an activation read back against the one stored.
func checkActivation(t *testing.T, how string, got, want trigger.Activation) {
	t.Helper()
	if g, w := mustJSON(t, got), mustJSON(t, want); !bytes.Equal(g, w) {
		t.Errorf("%s: activation %s came back as\n%s\nwant\n%s", how, want.ID, g, w)
	}
}

// checkObligation checks an obligation read back against the one stored.
func checkObligation(t *testing.T, how string, got, want trigger.Obligation) {
	t.Helper()
	if g, w := mustJSON(t, got), mustJSON(t, want); !bytes.Equal(g, w) {
		t.Errorf("%s: obligation %s came back as\n%s\nwant\n%s", how, want.ID, g, w)
	}
}

// checkStep checks the step a write returned against the step given: its
// id, record and body kept, and logged as leaf leaf under the kind of
// guarantee steps and the hash of its body.
func checkStep(t *testing.T, s store.Store, got, sent store.GuaranteeStep, leaf uint64) {
	t.Helper()
	if got.ID != sent.ID || got.Record != sent.Record || !bytes.Equal(got.Body, sent.Body) {
		t.Errorf("the step came back as %s of %s, body %s; want %s of %s, body %s", got.ID, got.Record, got.Body, sent.ID, sent.Record, sent.Body)
	}
	if got.Seq <= 0 {
		t.Errorf("step %s has seq %d, want it set", sent.ID, got.Seq)
	}
	if got.Leaf != leaf {
		t.Errorf("step %s is leaf %d, want %d, the next of the log", sent.ID, got.Leaf, leaf)
	}
	e, err := s.LogEntry(ctx(t), got.Leaf)
	if err != nil {
		t.Fatalf("LogEntry(%d): %v", got.Leaf, err)
	}
	if e.Kind != store.KindGuaranteeStep || e.Record != sent.ID {
		t.Errorf("leaf %d is %s %s, want %s %s", got.Leaf, e.Kind, e.Record, store.KindGuaranteeStep, sent.ID)
	}
	if want := ledger.RecordHash(store.KindGuaranteeStep, sent.Body); !bytes.Equal(e.LeafHash, want) {
		t.Errorf("leaf %d hash %x is not the hash of the step's body (%x)", got.Leaf, e.LeafHash, want)
	}
}

// checkSteps checks the steps of a record against those the writes
// returned.
func checkSteps(t *testing.T, how string, got, want []store.GuaranteeStep) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		g, w := got[i], want[i]
		same = g.ID == w.ID && g.Record == w.Record && g.Seq == w.Seq && g.Leaf == w.Leaf && bytes.Equal(g.Body, w.Body)
	}
	if !same {
		t.Errorf("%s: steps = %+v\nwant %+v", how, stepIDs(got), stepIDs(want))
	}
}

func stepIDs(steps []store.GuaranteeStep) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = fmt.Sprintf("%s(seq %d, leaf %d)", s.ID, s.Seq, s.Leaf)
	}
	return out
}

// eventsSince returns every event after after, read in pages of limit,
// checking that they come in increasing Seq.
func eventsSince(t *testing.T, s store.Store, after int64, limit int) []store.EventRecord {
	t.Helper()
	var out []store.EventRecord
	for range 10_000 {
		got, err := s.EventsSince(ctx(t), after, limit)
		if err != nil {
			t.Fatalf("EventsSince(%d): %v", after, err)
		}
		if len(got) > limit {
			t.Fatalf("EventsSince(%d, limit %d) returned %d", after, limit, len(got))
		}
		if len(got) == 0 {
			return out
		}
		for _, r := range got {
			if r.Seq <= after {
				t.Fatalf("EventsSince(%d) returned %s with seq %d: not after, or out of order", after, r.Event.ID, r.Seq)
			}
			after = r.Seq
		}
		out = append(out, got...)
	}
	t.Fatal("EventsSince does not end")
	return nil
}

// sameEvent reports whether an event read back is the one stored.
func sameEvent(got, want notify.Event) bool {
	return got.ID == want.ID && got.Type == want.Type && got.At.Equal(want.At) && sameJSON(got.Data, want.Data)
}

// checkEvents checks the events read back against those stored, in order.
func checkEvents(t *testing.T, how string, got []store.EventRecord, want []notify.Event) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = sameEvent(got[i].Event, want[i])
	}
	if !same {
		var g []string
		for _, r := range got {
			g = append(g, fmt.Sprintf("%s %s %s %s", r.Event.ID, r.Event.Type, r.Event.At.UTC().Format(time.RFC3339Nano), r.Event.Data))
		}
		var w []string
		for _, e := range want {
			w = append(w, fmt.Sprintf("%s %s %s %s", e.ID, e.Type, e.At.UTC().Format(time.RFC3339Nano), e.Data))
		}
		t.Errorf("%s:\n got %q\nwant %q", how, g, w)
	}
}

func testActivationPropose(t *testing.T, h Harness) {
	s := h.Store
	convene, assist := demoClause(t, clauseConvene), demoClause(t, clauseAssist)
	if seq := mustLastEventSeq(t, s); seq != 0 {
		t.Errorf("an empty store's last event seq = %d, want 0", seq)
	}
	if got := eventsSince(t, s, 0, 10); len(got) != 0 {
		t.Errorf("an empty store has %d events", len(got))
	}
	// Proposed in an order that is neither that of the ids nor its reverse.
	a1 := mustPropose(t, s, "act-convene-1", convene, base.Add(time.Hour), "cand-1", "cand-2", "cand-3")
	a2 := mustPropose(t, s, "act-assist-1", assist, base.Add(2*time.Hour), "cand-4")
	a3 := mustPropose(t, s, "act-convene-2", convene, base.Add(3*time.Hour), "cand-5", "cand-6", "cand-7")
	for _, a := range []trigger.Activation{a1, a2, a3} {
		got := mustActivation(t, s, a.ID)
		checkActivation(t, "Activation", got.Activation, a)
		if got.Activation.State != trigger.Proposed || got.Activation.Determination != nil {
			t.Errorf("%s is %s with determination %v, want proposed without one", a.ID, got.Activation.State, got.Activation.Determination)
		}
	}
	if _, err := s.Activation(ctx(t), "act-none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Activation(act-none): error %v, want ErrNotFound", err)
	}

	// Each proposal stored its event, in order.
	events := eventsSince(t, s, 0, 2)
	checkEvents(t, "the events of the proposals", events, []notify.Event{proposedEvent(t, a1), proposedEvent(t, a2), proposedEvent(t, a3)})
	if len(events) != 3 {
		t.FailNow()
	}
	last := mustLastEventSeq(t, s)
	if last != events[len(events)-1].Seq {
		t.Errorf("LastEventSeq = %d, want %d, the seq of the last event", last, events[len(events)-1].Seq)
	}
	if got := eventsSince(t, s, events[0].Seq, 1); len(got) != 2 || got[0].Event.ID != events[1].Event.ID {
		t.Errorf("EventsSince the first event: %d events, want the second and the third", len(got))
	}

	// The same id again, as a pass of the clauses racing the first would
	// propose it: ErrExists, the stored activation unchanged, and no event
	// stored, not even one the first did not have.
	again := trigger.Propose(a1.ID, trigger.Proposal{Clause: convene.ID, Instrument: convene.Instrument,
		Findings: []string{"cand-1", "cand-2", "cand-3", "cand-9"}, At: base.Add(4 * time.Hour)})
	extra := guaranteeEvent(t, notify.ActivationProposed, a1.ID+"@"+again.ProposedAt.Format(time.RFC3339), again.ProposedAt,
		map[string]any{"activation": a1.ID})
	if err := s.ProposeActivation(ctx(t), again, []notify.Event{proposedEvent(t, again), extra}); !errors.Is(err, store.ErrExists) {
		t.Errorf("proposing %s again: error %v, want ErrExists", a1.ID, err)
	}
	checkActivation(t, "after proposing it again", mustActivation(t, s, a1.ID).Activation, a1)
	if seq := mustLastEventSeq(t, s); seq != last {
		t.Errorf("proposing an activation again moved the last event seq from %d to %d", last, seq)
	}

	tests := []struct {
		name string
		q    store.ActivationQuery
		want []string
	}{
		{"all, newest proposal first", store.ActivationQuery{}, []string{a3.ID, a2.ID, a1.ID}},
		{"proposed", store.ActivationQuery{State: trigger.Proposed}, []string{a3.ID, a2.ID, a1.ID}},
		{"confirmed", store.ActivationQuery{State: trigger.Confirmed}, nil},
		{"clause", store.ActivationQuery{Clause: convene.ID}, []string{a3.ID, a1.ID}},
		{"clause and state", store.ActivationQuery{Clause: assist.ID, State: trigger.Proposed}, []string{a2.ID}},
		{"clause and another state", store.ActivationQuery{Clause: assist.ID, State: trigger.Declined}, nil},
		{"unknown clause", store.ActivationQuery{Clause: "no-such-clause"}, nil},
		{"limit", store.ActivationQuery{Limit: 2}, []string{a3.ID, a2.ID}},
		{"limit and clause", store.ActivationQuery{Clause: convene.ID, Limit: 1}, []string{a3.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.Limit == 0 {
				q.Limit = 100
			}
			got, err := s.QueryActivations(ctx(t), q)
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]string, len(got))
			for i, r := range got {
				ids[i] = r.Activation.ID
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}
	for _, limit := range []int{0, -1} {
		if _, err := s.QueryActivations(ctx(t), store.ActivationQuery{Limit: limit}); err == nil {
			t.Errorf("QueryActivations with limit %d must be refused", limit)
		}
	}
}

func testActivationDetermine(t *testing.T, h Harness) {
	s := h.Store
	convene, assist := demoClause(t, clauseConvene), demoClause(t, clauseAssist)
	a := mustPropose(t, s, "act-convene-1", convene, base.Add(time.Hour), "cand-1", "cand-2", "cand-3")
	b := mustPropose(t, s, "act-assist-1", assist, base.Add(2*time.Hour), "cand-4")
	size, lastEvent := guaranteeLogSize(t, s), mustLastEventSeq(t, s)

	// The authority confirms a: two obligations, GBR's and FRA's.
	d := determine(t, a, convene, true, base.Add(90*time.Minute))
	if len(d.obls) != 2 {
		t.Fatalf("the confirmation creates %d obligations, want 2", len(d.obls))
	}
	step := mustDetermine(t, s, d)
	checkStep(t, s, step, d.step, size)
	if got := guaranteeLogSize(t, s); got != size+1 {
		t.Errorf("the log has %d leaves after a determination, want %d: one more", got, size+1)
	}
	stored := mustActivation(t, s, a.ID)
	checkActivation(t, "after the confirmation", stored.Activation, d.a)
	if stored.Activation.State != trigger.Confirmed || stored.Activation.Determination == nil || !stored.Activation.Determination.Confirm {
		t.Errorf("after the confirmation %s is %s with determination %+v", a.ID, stored.Activation.State, stored.Activation.Determination)
	}
	for _, o := range d.obls {
		checkObligation(t, "after the confirmation", mustObligation(t, s, o.ID).Obligation, o)
	}
	checkEvents(t, "the events of the confirmation", eventsSince(t, s, lastEvent, 100), d.events)
	checkSteps(t, "the steps of the confirmed activation", mustSteps(t, s, a.ID), []store.GuaranteeStep{step})

	// A second determination of a, by an authority that read it while it
	// was proposed, is refused, and changes nothing.
	size, lastEvent = guaranteeLogSize(t, s), mustLastEventSeq(t, s)
	late := determine(t, a, convene, false, base.Add(100*time.Minute))
	if _, err := s.Determine(ctx(t), late.a, late.obls, late.step, late.events); !errors.Is(err, store.ErrConflict) {
		t.Errorf("determining %s twice: error %v, want ErrConflict", a.ID, err)
	}
	checkActivation(t, "after a second determination", mustActivation(t, s, a.ID).Activation, d.a)
	obls, err := s.QueryObligations(ctx(t), store.ObligationQuery{Activation: a.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, "the obligations after a second determination", obligationsOf(obls),
		mergeByKey(nil, d.obls, obligationID), obligationID)
	if got := guaranteeLogSize(t, s); got != size {
		t.Errorf("a refused determination moved the log from %d to %d leaves", size, got)
	}
	if got := mustLastEventSeq(t, s); got != lastEvent {
		t.Errorf("a refused determination moved the last event seq from %d to %d", lastEvent, got)
	}
	checkSteps(t, "the steps after a second determination", mustSteps(t, s, a.ID), []store.GuaranteeStep{step})

	// So is a second confirmation.
	again := determine(t, a, convene, true, base.Add(100*time.Minute))
	again.step.ID += "-again"
	if _, err := s.Determine(ctx(t), again.a, again.obls, again.step, again.events); !errors.Is(err, store.ErrConflict) {
		t.Errorf("confirming %s twice: error %v, want ErrConflict", a.ID, err)
	}
	if got := guaranteeLogSize(t, s); got != size {
		t.Errorf("a refused confirmation moved the log from %d to %d leaves", size, got)
	}

	// A determination of an activation that was never proposed fails and
	// logs nothing.
	ghost := trigger.Propose("act-none", trigger.Proposal{Clause: convene.ID, Instrument: convene.Instrument, Findings: []string{"cand-1"}, At: base})
	gd := determine(t, ghost, convene, true, base.Add(time.Hour))
	if _, err := s.Determine(ctx(t), gd.a, gd.obls, gd.step, gd.events); err == nil {
		t.Error("determining an activation never proposed succeeded")
	}
	if got := guaranteeLogSize(t, s); got != size {
		t.Errorf("a failed determination moved the log from %d to %d leaves", size, got)
	}
	if _, err := s.Obligation(ctx(t), "act-none:GBR"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Obligation of a failed determination: error %v, want ErrNotFound", err)
	}

	// The authority declines b: no obligation, and the step is logged.
	db := determine(t, b, assist, false, base.Add(3*time.Hour))
	stepB := mustDetermine(t, s, db)
	checkStep(t, s, stepB, db.step, size)
	checkActivation(t, "after the decline", mustActivation(t, s, b.ID).Activation, db.a)
	if got, err := s.QueryObligations(ctx(t), store.ObligationQuery{Activation: b.ID, Limit: 100}); err != nil || len(got) != 0 {
		t.Errorf("obligations of a declined activation: %d, %v; want none", len(got), err)
	}
	if _, err := s.Obligation(ctx(t), "no-such-obligation"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Obligation(no-such-obligation): error %v, want ErrNotFound", err)
	}

	// Queries see the states the determinations set.
	for _, tc := range []struct {
		q    store.ActivationQuery
		want []string
	}{
		{store.ActivationQuery{}, []string{b.ID, a.ID}},
		{store.ActivationQuery{State: trigger.Confirmed}, []string{a.ID}},
		{store.ActivationQuery{State: trigger.Declined}, []string{b.ID}},
		{store.ActivationQuery{State: trigger.Proposed}, nil},
		{store.ActivationQuery{State: trigger.Confirmed, Clause: convene.ID}, []string{a.ID}},
		{store.ActivationQuery{State: trigger.Confirmed, Clause: assist.ID}, nil},
	} {
		tc.q.Limit = 100
		got, err := s.QueryActivations(ctx(t), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(got))
		for i, r := range got {
			ids[i] = r.Activation.ID
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("QueryActivations(%+v) = %v, want %v", tc.q, ids, tc.want)
		}
	}
}

func obligationsOf(rs []store.ObligationRecord) []trigger.Obligation {
	out := make([]trigger.Obligation, len(rs))
	for i, r := range rs {
		out[i] = r.Obligation
	}
	return out
}

// byDeadline returns the ids of obligations, checking that they come
// earliest deadline first; obligations due at the same time, whose order
// the store chooses, are listed by id.
func byDeadline(t *testing.T, rs []store.ObligationRecord) []string {
	t.Helper()
	for i := 1; i < len(rs); i++ {
		if rs[i].Obligation.Deadline.Before(rs[i-1].Obligation.Deadline) {
			t.Errorf("%s (due %s) comes after %s (due %s): not earliest deadline first", rs[i].Obligation.ID,
				rs[i].Obligation.Deadline.Format(time.RFC3339), rs[i-1].Obligation.ID, rs[i-1].Obligation.Deadline.Format(time.RFC3339))
		}
	}
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b store.ObligationRecord) int {
		return cmp.Or(a.Obligation.Deadline.Compare(b.Obligation.Deadline), cmp.Compare(a.Obligation.ID, b.Obligation.ID))
	})
	return keysOf(sorted, obligationRecordID)
}

func testObligationQueries(t *testing.T, h Harness) {
	s := h.Store
	convene, assist := demoClause(t, clauseConvene), demoClause(t, clauseAssist)
	// The activation confirmed first has the later deadlines: 72 hours
	// against 48.
	as := mustPropose(t, s, "act-assist", assist, base, "cand-1")
	cv := mustPropose(t, s, "act-convene", convene, base, "cand-1", "cand-2", "cand-3")
	da := determine(t, as, assist, true, base.Add(time.Hour))
	mustDetermine(t, s, da)
	dc := determine(t, cv, convene, true, base.Add(2*time.Hour))
	mustDetermine(t, s, dc)
	current := map[string]trigger.Obligation{}
	for _, o := range append(slices.Clone(da.obls), dc.obls...) {
		current[o.ID] = o
	}
	// GBR acknowledges its assistance; FRA's leaders met.
	acked := act(t, obligationOf(t, da, "GBR"), liaison("GBR"), trigger.KindAcknowledge, "", base.Add(3*time.Hour))
	mustUpdate(t, s, acked)
	met := act(t, obligationOf(t, dc, "FRA"), liaison("FRA"), trigger.KindClose, "the leaders met in Paris", base.Add(4*time.Hour))
	mustUpdate(t, s, met)
	current[acked.ID], current[met.ID] = acked, met

	const (
		assistFRA  = "act-assist:FRA"
		assistGBR  = "act-assist:GBR"
		conveneFRA = "act-convene:FRA"
		conveneGBR = "act-convene:GBR"
	)
	tests := []struct {
		name string
		q    store.ObligationQuery
		want []string
	}{
		{"all, earliest deadline first", store.ObligationQuery{}, []string{conveneFRA, conveneGBR, assistFRA, assistGBR}},
		{"guarantor", store.ObligationQuery{Guarantor: "GBR"}, []string{conveneGBR, assistGBR}},
		{"activation", store.ObligationQuery{Activation: "act-assist"}, []string{assistFRA, assistGBR}},
		{"open", store.ObligationQuery{State: trigger.Open}, []string{conveneGBR, assistFRA}},
		{"acknowledged", store.ObligationQuery{State: trigger.Acknowledged}, []string{assistGBR}},
		{"met", store.ObligationQuery{State: trigger.Met}, []string{conveneFRA}},
		{"not met", store.ObligationQuery{NotMet: true}, []string{conveneGBR, assistFRA, assistGBR}},
		{"guarantor, not met", store.ObligationQuery{Guarantor: "FRA", NotMet: true}, []string{assistFRA}},
		{"activation, not met", store.ObligationQuery{Activation: "act-convene", NotMet: true}, []string{conveneGBR}},
		{"guarantor and activation", store.ObligationQuery{Guarantor: "GBR", Activation: "act-convene"}, []string{conveneGBR}},
		{"guarantor and state", store.ObligationQuery{Guarantor: "GBR", State: trigger.Acknowledged}, []string{assistGBR}},
		{"a guarantor that owes nothing", store.ObligationQuery{Guarantor: "USA"}, nil},
		{"an unknown activation", store.ObligationQuery{Activation: "act-none"}, nil},
		{"limit", store.ObligationQuery{Limit: 2}, []string{conveneFRA, conveneGBR}},
		{"limit, not met", store.ObligationQuery{NotMet: true, Limit: 1}, []string{conveneGBR}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.Limit == 0 {
				q.Limit = 100
			}
			got, err := s.QueryObligations(ctx(t), q)
			if err != nil {
				t.Fatal(err)
			}
			if ids := byDeadline(t, got); !slices.Equal(ids, tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
			for _, r := range got {
				checkObligation(t, "QueryObligations", r.Obligation, current[r.Obligation.ID])
			}
		})
	}
	for _, limit := range []int{0, -1} {
		if _, err := s.QueryObligations(ctx(t), store.ObligationQuery{Limit: limit}); err == nil {
			t.Errorf("QueryObligations with limit %d must be refused", limit)
		}
	}
}

func testObligationUpdates(t *testing.T, h Harness) {
	s := h.Store
	c := demoClause(t, clauseConvene)
	a := mustPropose(t, s, "act-convene-1", c, base, "cand-1", "cand-2", "cand-3")
	d := determine(t, a, c, true, base.Add(time.Hour))
	determined := mustDetermine(t, s, d)
	gbr, fra := obligationOf(t, d, "GBR"), obligationOf(t, d, "FRA")

	// GBR's liaison acknowledges: a history one step longer.
	size, lastEvent := guaranteeLogSize(t, s), mustLastEventSeq(t, s)
	acked := act(t, gbr, liaison("GBR"), trigger.KindAcknowledge, "", base.Add(2*time.Hour))
	step1, events1 := obligationStep(t, acked)
	got1, err := s.UpdateObligation(ctx(t), acked, step1, events1)
	if err != nil {
		t.Fatalf("UpdateObligation: %v", err)
	}
	checkStep(t, s, got1, step1, size)
	if got := guaranteeLogSize(t, s); got != size+1 {
		t.Errorf("the log has %d leaves after a step, want %d: one more", got, size+1)
	}
	after := mustObligation(t, s, gbr.ID)
	checkObligation(t, "after the acknowledgement", after.Obligation, acked)
	if after.Obligation.State != trigger.Acknowledged || len(after.Obligation.History) != 1 {
		t.Errorf("after the acknowledgement %s is %s with %d steps", gbr.ID, after.Obligation.State, len(after.Obligation.History))
	}
	checkEvents(t, "the events of the acknowledgement", eventsSince(t, s, lastEvent, 100), events1)

	// Another GBR liaison records an action on the history they read
	// before the acknowledgement: it is as long as the one stored now.
	size, lastEvent = guaranteeLogSize(t, s), mustLastEventSeq(t, s)
	other := trigger.Actor{Name: "liaison.GBR.2", Nation: "GBR", Liaison: true}
	stale := act(t, gbr, other, trigger.KindRecordAction, "called the ministry of defence", base.Add(150*time.Minute))
	staleStep, staleEvents := obligationStep(t, stale)
	if _, err := s.UpdateObligation(ctx(t), stale, staleStep, staleEvents); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a step on a stale history: error %v, want ErrConflict", err)
	}
	// A history two steps longer than the one stored skips a step.
	skipped := act(t, act(t, acked, other, trigger.KindRecordAction, "called the ministry of defence", base.Add(150*time.Minute)),
		other, trigger.KindClose, "the consultations took place", base.Add(160*time.Minute))
	skipStep, skipEvents := obligationStep(t, skipped)
	if _, err := s.UpdateObligation(ctx(t), skipped, skipStep, skipEvents); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a step two steps ahead of the stored history: error %v, want ErrConflict", err)
	}
	checkObligation(t, "after the refused steps", mustObligation(t, s, gbr.ID).Obligation, acked)
	if got := guaranteeLogSize(t, s); got != size {
		t.Errorf("refused steps moved the log from %d to %d leaves", size, got)
	}
	if got := mustLastEventSeq(t, s); got != lastEvent {
		t.Errorf("refused steps moved the last event seq from %d to %d", lastEvent, got)
	}

	// A step of an obligation that does not exist.
	ghost := gbr
	ghost.ID, ghost.Activation = "act-none:GBR", "act-none"
	ghost = act(t, ghost, liaison("GBR"), trigger.KindAcknowledge, "", base.Add(2*time.Hour))
	ghostStep, ghostEvents := obligationStep(t, ghost)
	if _, err := s.UpdateObligation(ctx(t), ghost, ghostStep, ghostEvents); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a step of an unknown obligation: error %v, want ErrNotFound", err)
	}
	if got := guaranteeLogSize(t, s); got != size {
		t.Errorf("a step of an unknown obligation moved the log from %d to %d leaves", size, got)
	}
	if _, err := s.Obligation(ctx(t), ghost.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Obligation(%s) after a refused step: error %v, want ErrNotFound", ghost.ID, err)
	}

	// Nobody acknowledged FRA's obligation: after its deadline the ladder
	// escalates it, a step the system takes.
	esc := trigger.Escalations(fra, fra.Deadline.Add(time.Minute), trigger.DefaultLadder())
	if len(esc) != 1 {
		t.Fatalf("%d escalations due a minute after the deadline, want 1", len(esc))
	}
	escalated := trigger.Escalate(fra, esc[0])
	fraStep := mustUpdate(t, s, escalated)
	checkObligation(t, "after the escalation", mustObligation(t, s, fra.ID).Obligation, escalated)

	// GBR records an action and then closes it: the history grows a step
	// at a time.
	recorded := act(t, acked, liaison("GBR"), trigger.KindRecordAction, "senior officials met by video", base.Add(3*time.Hour))
	step2 := mustUpdate(t, s, recorded)
	closed := act(t, recorded, liaison("GBR"), trigger.KindClose, "the leaders met in London", base.Add(4*time.Hour))
	step3 := mustUpdate(t, s, closed)
	checkObligation(t, "after it was closed", mustObligation(t, s, gbr.ID).Obligation, closed)

	// The steps of each record, oldest first.
	gbrSteps := mustSteps(t, s, gbr.ID)
	checkSteps(t, "GBR's steps", gbrSteps, []store.GuaranteeStep{got1, step2, step3})
	for i := 1; i < len(gbrSteps); i++ {
		if gbrSteps[i].Seq <= gbrSteps[i-1].Seq || gbrSteps[i].Leaf <= gbrSteps[i-1].Leaf {
			t.Errorf("GBR's steps are not oldest first: %v", stepIDs(gbrSteps))
		}
	}
	checkSteps(t, "FRA's steps", mustSteps(t, s, fra.ID), []store.GuaranteeStep{fraStep})
	checkSteps(t, "the activation's steps", mustSteps(t, s, a.ID), []store.GuaranteeStep{determined})
	if got := mustSteps(t, s, "act-none"); len(got) != 0 {
		t.Errorf("steps of an unknown record: %v, want none", stepIDs(got))
	}
}

func testActivationsDurable(t *testing.T, h Harness) {
	s := h.Store
	c := demoClause(t, clauseConvene)
	a := mustPropose(t, s, "act-convene-1", c, base, "cand-1", "cand-2", "cand-3")
	b := mustPropose(t, s, "act-convene-2", c, base.Add(time.Hour), "cand-4", "cand-5", "cand-6")
	d := determine(t, a, c, true, base.Add(time.Hour))
	determined := mustDetermine(t, s, d)
	acked := act(t, obligationOf(t, d, "GBR"), liaison("GBR"), trigger.KindAcknowledge, "", base.Add(2*time.Hour))
	ackStep := mustUpdate(t, s, acked)
	size, lastEvent := guaranteeLogSize(t, s), mustLastEventSeq(t, s)

	s = h.Reopen()
	checkActivation(t, "after reopen", mustActivation(t, s, a.ID).Activation, d.a)
	checkActivation(t, "after reopen", mustActivation(t, s, b.ID).Activation, b)
	checkObligation(t, "after reopen", mustObligation(t, s, acked.ID).Obligation, acked)
	checkObligation(t, "after reopen", mustObligation(t, s, "act-convene-1:FRA").Obligation, obligationOf(t, d, "FRA"))
	checkSteps(t, "the activation's steps after reopen", mustSteps(t, s, a.ID), []store.GuaranteeStep{determined})
	checkSteps(t, "GBR's steps after reopen", mustSteps(t, s, acked.ID), []store.GuaranteeStep{ackStep})
	if got := guaranteeLogSize(t, s); got != size {
		t.Errorf("the log has %d leaves after reopen, want %d", got, size)
	}
	if got := mustLastEventSeq(t, s); got != lastEvent {
		t.Errorf("LastEventSeq = %d after reopen, want %d", got, lastEvent)
	}
	if got, err := s.QueryObligations(ctx(t), store.ObligationQuery{NotMet: true, Limit: 100}); err != nil || len(got) != 2 {
		t.Errorf("obligations not met after reopen: %d, %v; want 2", len(got), err)
	}
	if got, err := s.QueryActivations(ctx(t), store.ActivationQuery{State: trigger.Proposed, Limit: 100}); err != nil || len(got) != 1 || got[0].Activation.ID != b.ID {
		t.Errorf("proposed activations after reopen: %v, %v; want %s", got, err, b.ID)
	}

	// The rules hold after a reopen as before.
	if err := s.ProposeActivation(ctx(t), a, []notify.Event{proposedEvent(t, a)}); !errors.Is(err, store.ErrExists) {
		t.Errorf("proposing %s again after reopen: error %v, want ErrExists", a.ID, err)
	}
	late := determine(t, a, c, false, base.Add(2*time.Hour))
	if _, err := s.Determine(ctx(t), late.a, late.obls, late.step, late.events); !errors.Is(err, store.ErrConflict) {
		t.Errorf("determining %s again after reopen: error %v, want ErrConflict", a.ID, err)
	}
	stale := act(t, obligationOf(t, d, "GBR"), liaison("GBR"), trigger.KindRecordAction, "called the ministry", base.Add(3*time.Hour))
	staleStep, staleEvents := obligationStep(t, stale)
	if _, err := s.UpdateObligation(ctx(t), stale, staleStep, staleEvents); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a step on a stale history after reopen: error %v, want ErrConflict", err)
	}
	next := act(t, acked, liaison("GBR"), trigger.KindClose, "the leaders met", base.Add(3*time.Hour))
	step, events := obligationStep(t, next)
	got, err := s.UpdateObligation(ctx(t), next, step, events)
	if err != nil {
		t.Fatalf("the next step after reopen: %v", err)
	}
	checkStep(t, s, got, step, size)
}

func mustAddWebhook(t *testing.T, s store.Store, w notify.Webhook) notify.Webhook {
	t.Helper()
	id, err := s.AddWebhook(ctx(t), w, base)
	if err != nil {
		t.Fatalf("AddWebhook(%s): %v", w.URL, err)
	}
	w.ID = id
	return w
}

func mustListWebhooks(t *testing.T, s store.Store) []notify.Webhook {
	t.Helper()
	ws, err := s.ListWebhooks(ctx(t))
	if err != nil {
		t.Fatalf("ListWebhooks: %v", err)
	}
	return ws
}

func mustSetWebhookDisabled(t *testing.T, s store.Store, id int64, disabled bool) {
	t.Helper()
	if err := s.SetWebhookDisabled(ctx(t), id, disabled); err != nil {
		t.Fatalf("SetWebhookDisabled(%d, %v): %v", id, disabled, err)
	}
}

func mustAddEvents(t *testing.T, s store.Store, events ...notify.Event) {
	t.Helper()
	if err := s.AddEvents(ctx(t), events); err != nil {
		t.Fatalf("AddEvents: %v", err)
	}
}

// sameWebhook reports whether a webhook read back is the one registered;
// no event types and an empty list are the same.
func sameWebhook(got, want notify.Webhook) bool {
	return got.ID == want.ID && got.URL == want.URL && got.Secret == want.Secret &&
		slices.Equal(got.Events, want.Events) && got.Disabled == want.Disabled
}

func checkWebhooks(t *testing.T, how string, got, want []notify.Webhook) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = sameWebhook(got[i], want[i])
	}
	if !same {
		t.Errorf("%s: webhooks = %+v\nwant %+v", how, got, want)
	}
}

// owed is a delivery the outbox should hold: its id, and when it is due.
type owed struct {
	id  string
	due time.Time
}

// owe is the delivery of ev to w, due at the event's time.
func owe(ev notify.Event, w notify.Webhook) owed {
	return owed{id: notify.DeliveryID(ev.ID, w.ID), due: ev.At}
}

// owedIDs returns the ids of deliveries in the order Due returns them:
// earliest due first, and those due at the same time, whose order the
// store chooses, by id.
func owedIDs(ds ...owed) []string {
	ds = slices.Clone(ds)
	slices.SortFunc(ds, func(a, b owed) int { return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.id, b.id)) })
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.id
	}
	return out
}

// mustDue returns the deliveries due by now, checking that there are at
// most limit, each due by now, earliest first.
func mustDue(t *testing.T, s store.Store, now time.Time, limit int) []notify.Delivery {
	t.Helper()
	ds, err := s.Due(ctx(t), now, limit)
	if err != nil {
		t.Fatalf("Due(%s): %v", now.Format(time.RFC3339), err)
	}
	if len(ds) > limit {
		t.Errorf("Due(limit %d) returned %d", limit, len(ds))
	}
	for i, d := range ds {
		if d.NextAt.After(now) {
			t.Errorf("Due(%s) returned %s, due only at %s", now.Format(time.RFC3339), d.ID, d.NextAt.Format(time.RFC3339))
		}
		if i > 0 && d.NextAt.Before(ds[i-1].NextAt) {
			t.Errorf("Due returned %s (due %s) after %s (due %s): not earliest first", d.ID, d.NextAt.Format(time.RFC3339),
				ds[i-1].ID, ds[i-1].NextAt.Format(time.RFC3339))
		}
	}
	return ds
}

// dueIDs returns the ids of deliveries as owedIDs orders them.
func dueIDs(ds []notify.Delivery) []string {
	out := make([]owed, len(ds))
	for i, d := range ds {
		out[i] = owed{id: d.ID, due: d.NextAt}
	}
	return owedIDs(out...)
}

// checkDelivery checks a delivery Due returned: the event as stored, the
// webhook as registered, its attempts and when it is due.
func checkDelivery(t *testing.T, d notify.Delivery, ev notify.Event, w notify.Webhook, attempts int, next time.Time) {
	t.Helper()
	if d.ID != notify.DeliveryID(ev.ID, w.ID) {
		t.Errorf("delivery %s, want %s", d.ID, notify.DeliveryID(ev.ID, w.ID))
	}
	if !sameEvent(d.Event, ev) {
		t.Errorf("delivery %s carries event %s %s %s %s, want %s %s %s %s", d.ID, d.Event.ID, d.Event.Type,
			d.Event.At.Format(time.RFC3339Nano), d.Event.Data, ev.ID, ev.Type, ev.At.Format(time.RFC3339Nano), ev.Data)
	}
	if !sameWebhook(d.Webhook, w) {
		t.Errorf("delivery %s goes to %+v, want %+v", d.ID, d.Webhook, w)
	}
	if d.Attempts != attempts || !d.NextAt.Equal(next) {
		t.Errorf("delivery %s: %d attempts, next at %s; want %d, %s", d.ID, d.Attempts, d.NextAt.Format(time.RFC3339Nano),
			attempts, next.Format(time.RFC3339Nano))
	}
}

// deliveryByID returns the delivery with the id among ds.
func deliveryByID(t *testing.T, ds []notify.Delivery, id string) notify.Delivery {
	t.Helper()
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("no delivery %s among %v", id, dueIDs(ds))
	return notify.Delivery{}
}

func mustRecord(t *testing.T, s store.Store, a notify.Attempt, next time.Time) {
	t.Helper()
	if err := s.Record(ctx(t), a, next); err != nil {
		t.Fatalf("Record(%s #%d): %v", a.Delivery, a.N, err)
	}
}

// attemptOf is attempt n to deliver ev to w, made at at.
func attemptOf(ev notify.Event, w notify.Webhook, n int, at time.Time) notify.Attempt {
	return notify.Attempt{Delivery: notify.DeliveryID(ev.ID, w.ID), Webhook: w.ID, Event: ev.ID, EventType: ev.Type, N: n, At: at}
}

func mustDeliveryLog(t *testing.T, s store.Store, webhook int64, limit int) []notify.Attempt {
	t.Helper()
	as, err := s.DeliveryLog(ctx(t), webhook, limit)
	if err != nil {
		t.Fatalf("DeliveryLog(%d): %v", webhook, err)
	}
	return as
}

func checkAttempts(t *testing.T, how string, got, want []notify.Attempt) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		g, w := got[i], want[i]
		same = g.At.Equal(w.At)
		g.At, w.At = time.Time{}, time.Time{}
		same = same && reflect.DeepEqual(g, w)
	}
	if !same {
		t.Errorf("%s:\n got %+v\nwant %+v", how, got, want)
	}
}

func testWebhooks(t *testing.T, h Harness) {
	s := h.Store
	checkWebhooks(t, "an empty store", mustListWebhooks(t, s), nil)
	all := mustAddWebhook(t, s, notify.Webhook{URL: "https://ops.example.org/guarantor", Secret: "secret-ops"})
	some := mustAddWebhook(t, s, notify.Webhook{URL: "https://liaison.example.org/hooks/gbr", Secret: "secret-gbr",
		Events: []string{notify.ObligationCreated, notify.ObligationEscalated}})
	off := mustAddWebhook(t, s, notify.Webhook{URL: "https://old.example.org/hook", Secret: "secret-old", Disabled: true})
	if all.ID == some.ID || some.ID == off.ID || all.ID == off.ID {
		t.Fatalf("webhook ids %d, %d, %d are not distinct", all.ID, some.ID, off.ID)
	}
	want := []notify.Webhook{all, some, off}
	slices.SortFunc(want, func(a, b notify.Webhook) int { return cmp.Compare(a.ID, b.ID) })
	checkWebhooks(t, "ListWebhooks", mustListWebhooks(t, s), want)

	// Disabled and enabled again; setting the state a webhook has already
	// is no error.
	mustSetWebhookDisabled(t, s, all.ID, true)
	mustSetWebhookDisabled(t, s, off.ID, false)
	mustSetWebhookDisabled(t, s, some.ID, false)
	for i := range want {
		switch want[i].ID {
		case all.ID:
			want[i].Disabled = true
		case off.ID:
			want[i].Disabled = false
		}
	}
	checkWebhooks(t, "after disabling one and enabling another", mustListWebhooks(t, s), want)
	mustSetWebhookDisabled(t, s, all.ID, false)
	for i := range want {
		want[i].Disabled = false
	}
	checkWebhooks(t, "after enabling every webhook", mustListWebhooks(t, s), want)

	unknown := max(all.ID, some.ID, off.ID) + 100
	for _, disabled := range []bool{true, false} {
		if err := s.SetWebhookDisabled(ctx(t), unknown, disabled); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetWebhookDisabled(%d, %v) of an unknown webhook: error %v, want ErrNotFound", unknown, disabled, err)
		}
	}
	checkWebhooks(t, "after refusals", mustListWebhooks(t, s), want)
}

func testEventDeliveries(t *testing.T, h Harness) {
	s := h.Store
	all := mustAddWebhook(t, s, notify.Webhook{URL: "https://ops.example.org/guarantor", Secret: "secret-ops"})
	proposals := mustAddWebhook(t, s, notify.Webhook{URL: "https://authority.example.org/proposals", Secret: "secret-authority",
		Events: []string{notify.ActivationProposed}})
	obligations := mustAddWebhook(t, s, notify.Webhook{URL: "https://liaison.example.org/hooks", Secret: "secret-liaison",
		Events: []string{notify.ObligationCreated, notify.ObligationUpdated}})
	off := mustAddWebhook(t, s, notify.Webhook{URL: "https://old.example.org/hook", Secret: "secret-old", Disabled: true})

	// Events added directly, in one call.
	t0 := base.Add(time.Hour)
	approaching := guaranteeEvent(t, notify.ObligationDeadlineApproaching, "act-earlier:GBR", t0,
		map[string]any{"obligation": "act-earlier:GBR", "guarantor": "GBR", "deadline": t0.Add(6 * time.Hour)})
	byHand := guaranteeEvent(t, notify.ActivationProposed, "act-by-hand", t0.Add(time.Minute),
		map[string]any{"activation": "act-by-hand", "clause": clauseAssist})
	mustAddEvents(t, s, approaching, byHand)

	// Events the writes of activations add.
	c := demoClause(t, clauseConvene)
	a := mustPropose(t, s, "act-convene-1", c, t0.Add(2*time.Minute), "cand-1", "cand-2", "cand-3")
	d := determine(t, a, c, true, t0.Add(3*time.Minute))
	mustDetermine(t, s, d)
	acked := act(t, obligationOf(t, d, "GBR"), liaison("GBR"), trigger.KindAcknowledge, "", t0.Add(4*time.Minute))
	_, updated := obligationStep(t, acked)
	mustUpdate(t, s, acked)

	stored := []notify.Event{approaching, byHand, proposedEvent(t, a)}
	stored = append(stored, d.events...)
	stored = append(stored, updated...)
	events := eventsSince(t, s, 0, 3)
	checkEvents(t, "every event", events, stored)
	if last := mustLastEventSeq(t, s); len(events) > 0 && last != events[len(events)-1].Seq {
		t.Errorf("LastEventSeq = %d, want %d", last, events[len(events)-1].Seq)
	}

	// One delivery for every webhook that wants the event, due at the
	// event's time; none for the disabled webhook.
	want := []owed{owe(approaching, all), owe(byHand, all), owe(byHand, proposals), owe(stored[2], all), owe(stored[2], proposals)}
	for _, ev := range d.events {
		want = append(want, owe(ev, all))
		if ev.Type == notify.ObligationCreated {
			want = append(want, owe(ev, obligations))
		}
	}
	want = append(want, owe(updated[0], all), owe(updated[0], obligations))
	far := t0.Add(24 * time.Hour)
	due := mustDue(t, s, far, 100)
	if got := dueIDs(due); !slices.Equal(got, owedIDs(want...)) {
		t.Errorf("deliveries = %v\nwant %v", got, owedIDs(want...))
	}
	hooks := map[int64]notify.Webhook{all.ID: all, proposals.ID: proposals, obligations.ID: obligations}
	byID := map[string]notify.Event{}
	for _, ev := range stored {
		byID[ev.ID] = ev
	}
	for _, dl := range due {
		ev, known := byID[dl.Event.ID]
		w, wanted := hooks[dl.Webhook.ID]
		if !known || !wanted {
			continue // not owed: the list of ids above says so
		}
		checkDelivery(t, dl, ev, w, 0, ev.At)
	}

	// Due at the event's time, not before.
	if got := mustDue(t, s, t0.Add(-time.Nanosecond), 100); len(got) != 0 {
		t.Errorf("due before the first event: %v, want none", dueIDs(got))
	}
	if got := dueIDs(mustDue(t, s, t0, 100)); !slices.Equal(got, owedIDs(owe(approaching, all))) {
		t.Errorf("due at the first event's time: %v, want its delivery", got)
	}
	if got := dueIDs(mustDue(t, s, t0.Add(time.Minute), 100)); !slices.Equal(got, owedIDs(owe(approaching, all), owe(byHand, all), owe(byHand, proposals))) {
		t.Errorf("due at the second event's time: %v, want the deliveries of the first two", got)
	}

	// Enabling the disabled webhook does not give it what it missed.
	mustSetWebhookDisabled(t, s, off.ID, false)
	if got := dueIDs(mustDue(t, s, far, 100)); !slices.Equal(got, owedIDs(want...)) {
		t.Errorf("after enabling a webhook that was disabled when the events came: %v\nwant %v", got, owedIDs(want...))
	}

	// An event whose id is stored adds nothing, even when it says
	// something else; the new event beside it is added, with deliveries
	// to every webhook now enabled.
	last := mustLastEventSeq(t, s)
	changed := byHand
	changed.Type, changed.At, changed.Data = notify.ObligationCreated, t0.Add(5*time.Minute), json.RawMessage(`{"changed":true}`)
	fresh := guaranteeEvent(t, notify.ObligationCreated, "act-other:FRA", t0.Add(6*time.Minute),
		map[string]any{"obligation": "act-other:FRA", "guarantor": "FRA"})
	mustAddEvents(t, s, changed, fresh)
	checkEvents(t, "after adding a stored event and a new one", eventsSince(t, s, last, 100), []notify.Event{fresh})
	checkEvents(t, "the events", eventsSince(t, s, 0, 100), append(slices.Clone(stored), fresh))
	want = append(want, owe(fresh, all), owe(fresh, obligations), owe(fresh, off))
	if got := dueIDs(mustDue(t, s, far, 100)); !slices.Equal(got, owedIDs(want...)) {
		t.Errorf("after adding a stored event and a new one: %v\nwant %v", got, owedIDs(want...))
	}
	last = mustLastEventSeq(t, s)
	mustAddEvents(t, s, stored...)
	if got := mustLastEventSeq(t, s); got != last {
		t.Errorf("adding every stored event again moved the last event seq from %d to %d", last, got)
	}
	if got := dueIDs(mustDue(t, s, far, 100)); !slices.Equal(got, owedIDs(want...)) {
		t.Errorf("after adding every stored event again: %v\nwant %v", got, owedIDs(want...))
	}
}

func testOutbox(t *testing.T, h Harness) {
	s := h.Store
	a := mustAddWebhook(t, s, notify.Webhook{URL: "https://a.example.org/hook", Secret: "secret-a"})
	b := mustAddWebhook(t, s, notify.Webhook{URL: "https://b.example.org/hook", Secret: "secret-b", Events: notify.Types()})
	off := mustAddWebhook(t, s, notify.Webhook{URL: "https://c.example.org/hook", Secret: "secret-c"})
	t1, t2, t3 := base.Add(time.Minute), base.Add(2*time.Minute), base.Add(3*time.Minute)
	e1 := guaranteeEvent(t, notify.ActivationProposed, "act-1", t1, map[string]any{"activation": "act-1", "clause": clauseConvene})
	e2 := guaranteeEvent(t, notify.ObligationCreated, "act-1:GBR", t2, map[string]any{"obligation": "act-1:GBR", "guarantor": "GBR"})
	e3 := guaranteeEvent(t, notify.ObligationEscalated, "act-1:GBR#1", t3, map[string]any{"obligation": "act-1:GBR", "notify": "liaison"})
	// Stored out of time order: Due orders by when they are due.
	mustAddEvents(t, s, e3, e1)
	mustAddEvents(t, s, e2)
	mustSetWebhookDisabled(t, s, off.ID, true)

	if got := mustDue(t, s, base, 10); len(got) != 0 {
		t.Errorf("due before any event: %v, want none", dueIDs(got))
	}
	due := mustDue(t, s, t2, 10)
	if got, want := dueIDs(due), owedIDs(owe(e1, a), owe(e1, b), owe(e2, a), owe(e2, b)); !slices.Equal(got, want) {
		t.Errorf("due by the second event: %v, want %v", got, want)
	}
	events := map[string]notify.Event{e1.ID: e1, e2.ID: e2, e3.ID: e3}
	hooks := map[int64]notify.Webhook{a.ID: a, b.ID: b}
	for _, d := range due {
		ev, known := events[d.Event.ID]
		w, wanted := hooks[d.Webhook.ID]
		if !known || !wanted {
			continue // not owed: the list of ids above says so
		}
		checkDelivery(t, d, ev, w, 0, ev.At)
	}
	if got := mustDue(t, s, t3, 1); len(got) != 1 || got[0].Event.ID != e1.ID {
		t.Errorf("the first due with a limit of 1: %v, want a delivery of %s", dueIDs(got), e1.ID)
	}
	if got := mustDue(t, s, t3, 3); len(got) != 3 {
		t.Errorf("due with a limit of 3: %v, want 3", dueIDs(got))
	}
	// e1 fails at a and is retried later; b takes it; a gives e2 up.
	at := t3.Add(time.Second)
	failed := attemptOf(e1, a, 1, at)
	failed.Status, failed.Error, failed.Duration = 503, "503 Service Unavailable", 150*time.Millisecond
	retry := at.Add(10 * time.Minute)
	mustRecord(t, s, failed, retry)
	done := attemptOf(e1, b, 1, at.Add(time.Second))
	done.Status, done.Duration, done.Done = 200, 80*time.Millisecond, true
	mustRecord(t, s, done, time.Time{})
	gaveUp := attemptOf(e2, a, 1, at.Add(2*time.Second))
	gaveUp.Status, gaveUp.Error, gaveUp.Duration, gaveUp.GaveUp = 410, "410 Gone", 60*time.Millisecond, true
	mustRecord(t, s, gaveUp, time.Time{})

	now := at.Add(3 * time.Second)
	if got, want := dueIDs(mustDue(t, s, now, 10)), owedIDs(owe(e2, b), owe(e3, a), owe(e3, b)); !slices.Equal(got, want) {
		t.Errorf("due after the attempts: %v, want %v", got, want)
	}
	if got := mustDue(t, s, retry.Add(-time.Nanosecond), 10); slices.Contains(dueIDs(got), failed.Delivery) {
		t.Errorf("%s is due before its retry", failed.Delivery)
	}
	due = mustDue(t, s, retry, 10)
	if got, want := dueIDs(due), owedIDs(owe(e2, b), owe(e3, a), owe(e3, b), owed{failed.Delivery, retry}); !slices.Equal(got, want) {
		t.Errorf("due at the retry: %v, want %v", got, want)
	}
	if len(due) > 0 && due[len(due)-1].ID != failed.Delivery {
		t.Errorf("the retried delivery, due last, comes before %s", due[len(due)-1].ID)
	}
	checkDelivery(t, deliveryByID(t, due, failed.Delivery), e1, a, 1, retry)

	// It fails again and is retried later still.
	failedAgain := attemptOf(e1, a, 2, retry.Add(time.Second))
	failedAgain.Error, failedAgain.Duration = "context deadline exceeded", 10*time.Second
	retryAgain := retry.Add(20 * time.Minute)
	mustRecord(t, s, failedAgain, retryAgain)
	if got := mustDue(t, s, retryAgain.Add(-time.Nanosecond), 10); slices.Contains(dueIDs(got), failed.Delivery) {
		t.Errorf("%s is due before its second retry", failed.Delivery)
	}
	checkDelivery(t, deliveryByID(t, mustDue(t, s, retryAgain, 10), failed.Delivery), e1, a, 2, retryAgain)

	// What was delivered or given up is never due again.
	for _, id := range dueIDs(mustDue(t, s, retryAgain.Add(365*24*time.Hour), 100)) {
		if id == done.Delivery || id == gaveUp.Delivery {
			t.Errorf("%s is due again after it was closed", id)
		}
	}

	// The delivery log of each webhook, newest first.
	checkAttempts(t, "a's delivery log", mustDeliveryLog(t, s, a.ID, 10), []notify.Attempt{failedAgain, gaveUp, failed})
	checkAttempts(t, "a's last two attempts", mustDeliveryLog(t, s, a.ID, 2), []notify.Attempt{failedAgain, gaveUp})
	checkAttempts(t, "b's delivery log", mustDeliveryLog(t, s, b.ID, 10), []notify.Attempt{done})
	checkAttempts(t, "the disabled webhook's delivery log", mustDeliveryLog(t, s, off.ID, 10), nil)
}

func testNotificationsDurable(t *testing.T, h Harness) {
	s := h.Store
	a := mustAddWebhook(t, s, notify.Webhook{URL: "https://a.example.org/hook", Secret: "secret-a"})
	b := mustAddWebhook(t, s, notify.Webhook{URL: "https://b.example.org/hook", Secret: "secret-b", Events: []string{notify.ObligationCreated}})
	off := mustAddWebhook(t, s, notify.Webhook{URL: "https://c.example.org/hook", Secret: "secret-c"})
	e1 := guaranteeEvent(t, notify.ActivationProposed, "act-1", base.Add(time.Minute), map[string]any{"activation": "act-1"})
	e2 := guaranteeEvent(t, notify.ObligationCreated, "act-1:GBR", base.Add(2*time.Minute), map[string]any{"obligation": "act-1:GBR"})
	mustAddEvents(t, s, e1, e2)
	c := demoClause(t, clauseAssist)
	act1 := mustPropose(t, s, "act-assist-1", c, base.Add(3*time.Minute), "cand-1")
	mustSetWebhookDisabled(t, s, off.ID, true)
	failed := attemptOf(e1, a, 1, base.Add(4*time.Minute))
	failed.Status, failed.Error, failed.Duration = 500, "500 Internal Server Error", 20*time.Millisecond
	retry := base.Add(time.Hour)
	mustRecord(t, s, failed, retry)
	done := attemptOf(e2, b, 1, base.Add(5*time.Minute))
	done.Status, done.Duration, done.Done = 204, 30*time.Millisecond, true
	mustRecord(t, s, done, time.Time{})

	far := base.Add(24 * time.Hour)
	hooks := mustListWebhooks(t, s)
	due := mustDue(t, s, far, 100)
	events := eventsSince(t, s, 0, 100)
	last := mustLastEventSeq(t, s)
	wantDue := owedIDs(owed{failed.Delivery, retry}, owe(e2, a), owe(proposedEvent(t, act1), a))
	if got := dueIDs(due); !slices.Equal(got, wantDue) {
		t.Errorf("due before reopen: %v, want %v", got, wantDue)
	}

	s = h.Reopen()
	checkWebhooks(t, "after reopen", mustListWebhooks(t, s), hooks)
	after := mustDue(t, s, far, 100)
	if got := dueIDs(after); !slices.Equal(got, wantDue) {
		t.Errorf("due after reopen: %v, want %v", got, wantDue)
	}
	for _, d := range due {
		got := deliveryByID(t, after, d.ID)
		checkDelivery(t, got, d.Event, d.Webhook, d.Attempts, d.NextAt)
	}
	checkEvents(t, "the events after reopen", eventsSince(t, s, 0, 100), []notify.Event{e1, e2, proposedEvent(t, act1)})
	if got := mustLastEventSeq(t, s); got != last {
		t.Errorf("LastEventSeq = %d after reopen, want %d", got, last)
	}
	if got := eventsSince(t, s, 0, 100); len(got) == len(events) {
		for i := range got {
			if got[i].Seq != events[i].Seq {
				t.Errorf("event %s has seq %d after reopen, %d before", got[i].Event.ID, got[i].Seq, events[i].Seq)
			}
		}
	}
	checkAttempts(t, "a's delivery log after reopen", mustDeliveryLog(t, s, a.ID, 10), []notify.Attempt{failed})
	checkAttempts(t, "b's delivery log after reopen", mustDeliveryLog(t, s, b.ID, 10), []notify.Attempt{done})

	// After a reopen, a stored event still adds nothing, the webhooks can
	// be changed and a new one takes an id of its own.
	mustAddEvents(t, s, e1, e2)
	if got := mustLastEventSeq(t, s); got != last {
		t.Errorf("adding stored events after reopen moved the last event seq from %d to %d", last, got)
	}
	if got := dueIDs(mustDue(t, s, far, 100)); !slices.Equal(got, wantDue) {
		t.Errorf("adding stored events after reopen changed what is due: %v, want %v", got, wantDue)
	}
	mustSetWebhookDisabled(t, s, off.ID, false)
	d := mustAddWebhook(t, s, notify.Webhook{URL: "https://d.example.org/hook", Secret: "secret-d"})
	for _, w := range hooks {
		if w.ID == d.ID {
			t.Errorf("a webhook added after reopen took the id %d of %s", d.ID, w.URL)
		}
	}
	want := append(slices.Clone(hooks), d)
	for i := range want {
		if want[i].ID == off.ID {
			want[i].Disabled = false
		}
	}
	slices.SortFunc(want, func(x, y notify.Webhook) int { return cmp.Compare(x.ID, y.ID) })
	checkWebhooks(t, "after changes following a reopen", mustListWebhooks(t, s), want)
}
