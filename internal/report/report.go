// Package report builds the mission's daily report, as the OSCE Special
// Monitoring Mission published one each day: the candidate violations of
// the day by type, by region and by party with their verification state
// and the change from the day before, heavy weapons in violation of their
// withdrawal lines, the notable violations, restrictions of the monitors'
// access, and a map. A public version keeps only records marked public.
//
// The package is pure: the records and the terms in force go in, a Report
// comes out, which renders itself as a page to read and print (HTML with
// an inline SVG map and no external resources). Everything is sorted, so
// that the same input gives the same bytes.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// Violation is a candidate violation as the report counts it.
type Violation struct {
	// ID is the candidate's id.
	ID string
	// Type is the violation type (terms.ViolationTypes or the agreement's own).
	Type string
	// Clause is the id of the clause it applies.
	Clause string
	// Party is the code of the party responsible; "" when not attributable.
	Party string
	// Severity is minor, serious or major (terms.Severities).
	Severity string
	// Incident is the id of the incident it rests on.
	Incident string
	// Time is when it happened; Position where.
	Time     time.Time
	Position geo.LonLat
	// WeaponClass is the code of the weapon class, for weapon_in_withdrawal_zone.
	WeaponClass string
	// DistanceM is the distance from the contact line in metres, and
	// WithdrawalM the class's withdrawal distance, for weapon_in_withdrawal_zone.
	DistanceM, WithdrawalM float64
	// State is the verification state (verify.State): open,
	// more_information, second_review, verified, rejected, merged or split.
	State string
	// Reason is the rule's sentence.
	Reason string
	// Label is the candidate's releasability label.
	Label label.Label
}

// Restriction is a restriction of the monitors' access: a checkpoint where
// a patrol was denied passage or delayed.
type Restriction struct {
	// ID is the restriction's id.
	ID string
	// Time is when it happened; Position where.
	Time     time.Time
	Position geo.LonLat
	// Party is the code of the party whose personnel restricted access; "" when unknown.
	Party string
	// Checkpoint names the place; Reason is the reason given, if any.
	Checkpoint, Reason string
	// PatrolSize is the number of monitors in the patrol.
	PatrolSize int
	// Delay is how long the patrol was held; 0 when denied outright.
	Delay time.Duration
	// Denied is true when the patrol was refused passage.
	Denied bool
	// Label is the restriction's releasability label.
	Label label.Label
}

// Incident is an incident of the day, for the map and the totals.
type Incident struct {
	// ID is the incident's id; Class its class, such as fire or equipment.
	ID, Class string
	// Time is when it happened; Position where.
	Time     time.Time
	Position geo.LonLat
	// Party is the code of the party it is attributed to; "" when none.
	Party string
	// Label is the incident's releasability label.
	Label label.Label
}

// Input is what a daily report is built from.
type Input struct {
	// Date is the calendar day of the report: only its year, month and day
	// are used, as written in its own location.
	Date time.Time
	// CutoffHour, 0 to 23, is the hour (UTC) at which the report's day
	// begins: it runs from CutoffHour on Date to CutoffHour the next day.
	CutoffHour int
	// Terms are the terms in force: the parties' names, the contact line
	// and the regions for the map and the figures, the weapon classes.
	Terms terms.Terms
	// Scheme is the classification scheme; the zero value means label.DefaultScheme.
	Scheme label.Scheme
	// Public asks for the public version: only records whose classification
	// is the scheme's public level are counted, listed or drawn.
	Public bool
	// Generated is when the report is made, as it states.
	Generated time.Time
	// Violations, Incidents and Restrictions may hold records of other days;
	// Build takes those of the report's day and of the day before.
	Violations   []Violation
	Incidents    []Incident
	Restrictions []Restriction
}

// Report is the daily report. Its lists are sorted and its JSON form
// (snake_case, fields in a fixed order) is the same for the same Input.
type Report struct {
	// Date is the report's day, YYYY-MM-DD.
	Date string `json:"date"`
	// From and To bound the report's day: From ≤ time < To, 24 hours.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Public is true for the public version.
	Public bool `json:"public"`
	// Generated is when it was made.
	Generated time.Time `json:"generated"`
	// The terms in force.
	TermsID           string `json:"terms_id"`
	TermsVersion      string `json:"terms_version"`
	TermsTitle        string `json:"terms_title"`
	TermsIllustrative bool   `json:"terms_illustrative"`
	// Label is the most restrictive label of the records the report draws
	// on (both days): the report's own marking. RelTo empty on a level
	// other than the public one means the records share no nation.
	Label label.Label `json:"label"`
	// Restricted is true when a record the report draws on is not at the
	// scheme's public level.
	Restricted bool `json:"restricted"`
	// Summary is a short paragraph in plain English drawn from the figures.
	Summary string `json:"summary"`
	// Violations are all the violations of the day. Rejected, merged and
	// split candidates are not violations and are in no figure.
	Violations Figure `json:"violations"`
	// Rejected is the number of the day's candidates that are rejected.
	Rejected int `json:"rejected"`
	// States counts the day's candidates in each verification state, in
	// the order of the workflow.
	States []StateCount `json:"states"`
	// ByType, ByRegion and ByParty break the violations down.
	ByType   []Row `json:"by_type"`
	ByRegion []Row `json:"by_region"`
	ByParty  []Row `json:"by_party"`
	// Weapons are the heavy weapons in violation of their withdrawal lines.
	Weapons Weapons `json:"weapons"`
	// Notable are up to MaxNotable of the day's major and serious
	// violations: major first, verified before unverified, then by time.
	Notable []Entry `json:"notable"`
	// Restrictions are the restrictions of the monitors' access.
	Restrictions Restrictions `json:"restrictions"`
	// Incidents counts the day's incidents.
	Incidents Incidents `json:"incidents"`
	// Map is what the report's map draws.
	Map Map `json:"map"`
}

// Figure is a count of violations: Total is Verified plus Unverified (open,
// more information asked, or in second review); Previous is the total of
// the day before and Change is Total minus Previous.
type Figure struct {
	Total      int `json:"total"`
	Verified   int `json:"verified"`
	Unverified int `json:"unverified"`
	Previous   int `json:"previous"`
	Change     int `json:"change"`
}

// Row is a Figure for one type, region, party or weapon class.
type Row struct {
	// Code is the type, region, party or class code; "" for violations
	// outside every named region, or not attributable to a party.
	Code string `json:"code"`
	// Name is its human-readable name.
	Name string `json:"name"`
	Figure
}

// StateCount is the number of the day's candidates in one state.
type StateCount struct {
	State string `json:"state"`
	Count int    `json:"count"`
}

// Weapons are the day's weapon_in_withdrawal_zone violations.
type Weapons struct {
	// ByClass has a Row for each weapon class of the terms, in their order,
	// then any other class met.
	ByClass []Row `json:"by_class"`
	// List has each violation, by time.
	List []Entry `json:"list"`
}

// Entry is one violation in a list of the report.
type Entry struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Type       string    `json:"type"`
	TypeName   string    `json:"type_name"`
	Clause     string    `json:"clause,omitempty"`
	Severity   string    `json:"severity"`
	State      string    `json:"state"`
	Party      string    `json:"party"`
	PartyName  string    `json:"party_name"`
	Region     string    `json:"region"`
	RegionName string    `json:"region_name"`
	Incident   string    `json:"incident,omitempty"`
	Lon        float64   `json:"lon"`
	Lat        float64   `json:"lat"`
	Reason     string    `json:"reason,omitempty"`
	// For a weapon in its withdrawal zone: the class, its name, the distance
	// from the contact line and the class's withdrawal distance, in km.
	WeaponClass  string  `json:"weapon_class,omitempty"`
	WeaponName   string  `json:"weapon_name,omitempty"`
	DistanceKM   float64 `json:"distance_km,omitempty"`
	WithdrawalKM float64 `json:"withdrawal_km,omitempty"`
}

// Restrictions are the day's restrictions of the monitors' access.
type Restrictions struct {
	Access
	// ByParty has a row for each party of the terms, then for restrictions
	// by unknown personnel (code "") when there were any on either day.
	ByParty []AccessRow `json:"by_party"`
	// List has each restriction of the day, by time.
	List []RestrictionEntry `json:"list"`
}

// Access counts restrictions: Total is Denied plus Delayed; Previous is the
// total of the day before, Change is Total minus Previous.
type Access struct {
	Total    int `json:"total"`
	Denied   int `json:"denied"`
	Delayed  int `json:"delayed"`
	Previous int `json:"previous"`
	Change   int `json:"change"`
}

// AccessRow counts one party's restrictions.
type AccessRow struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Access
}

// RestrictionEntry is one restriction in the report's list.
type RestrictionEntry struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Party      string    `json:"party"`
	PartyName  string    `json:"party_name"`
	Checkpoint string    `json:"checkpoint"`
	Reason     string    `json:"reason,omitempty"`
	PatrolSize int       `json:"patrol_size"`
	Denied     bool      `json:"denied"`
	DelayS     float64   `json:"delay_s"`
	Region     string    `json:"region"`
	RegionName string    `json:"region_name"`
	Lon        float64   `json:"lon"`
	Lat        float64   `json:"lat"`
}

// Incidents counts incidents.
type Incidents struct {
	Tally
	// ByClass has a Tally for each class met on either day, by class.
	ByClass []ClassTally `json:"by_class"`
}

// Tally is a count of the day, the day before's and the change.
type Tally struct {
	Total    int `json:"total"`
	Previous int `json:"previous"`
	Change   int `json:"change"`
}

// ClassTally is the Tally of one class of incident.
type ClassTally struct {
	Class string `json:"class"`
	Tally
}

// MaxNotable is the most violations Report.Notable holds.
const MaxNotable = 10

// Names the report gives to records without a region or a party.
const (
	OutsideRegions  = "outside any named region"
	NotAttributable = "not attributable"
	UnknownParty    = "unknown"
)

// typeNames are the names of the built-in violation types.
var typeNames = map[string]string{
	terms.FireAcrossLine:         "Fire across the contact line",
	terms.FireSameSide:           "Fire on one side of the line",
	terms.FireUnresolved:         "Fire not located at both ends",
	terms.WeaponInWithdrawalZone: "Heavy weapons inside their withdrawal zone",
	terms.PresenceInBufferZone:   "Presence in the buffer zone",
	terms.AirspaceCrossing:       "Drones and aircraft across the line",
}

// states are the verification states in the order of the workflow.
var states = []verify.State{verify.Open, verify.MoreInformation, verify.SecondReview, verify.Verified, verify.Rejected, verify.Merged, verify.Split}

// Build makes the daily report of in. It refuses a zero Date, a CutoffHour
// outside 0 to 23, terms that do not compile, an invalid scheme (or, for
// the public version, one without a public level), and a record of either
// day with an unknown state or severity or a label the scheme refuses.
func Build(in Input) (Report, error) {
	if in.Date.IsZero() {
		return Report{}, errors.New("report: the date is required")
	}
	if in.CutoffHour < 0 || in.CutoffHour > 23 {
		return Report{}, fmt.Errorf("report: cut-off hour %d is outside 0 to 23", in.CutoffHour)
	}
	scheme := in.Scheme
	if len(scheme.Levels) == 0 && scheme.Public == "" {
		scheme = label.DefaultScheme()
	}
	if err := scheme.Validate(); err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	if in.Public && scheme.Public == "" {
		return Report{}, errors.New("report: a public version needs a classification scheme with a public level")
	}
	agreement, err := terms.Compile(in.Terms)
	if err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	y, m, d := in.Date.Date()
	from := time.Date(y, m, d, in.CutoffHour, 0, 0, 0, time.UTC)
	b := builder{
		in: in, scheme: scheme, a: agreement,
		from: from, to: from.Add(24 * time.Hour), prev: from.Add(-24 * time.Hour),
		labels: map[string]label.Label{},
	}
	if err := b.selectRecords(); err != nil {
		return Report{}, err
	}
	r := Report{
		Date:              from.Format(time.DateOnly),
		From:              b.from,
		To:                b.to,
		Public:            in.Public,
		Generated:         in.Generated.UTC(),
		TermsID:           in.Terms.ID,
		TermsVersion:      in.Terms.Version,
		TermsTitle:        in.Terms.Title,
		TermsIllustrative: in.Terms.Illustrative,
	}
	if r.Label, err = b.label(); err != nil {
		return Report{}, err
	}
	for _, l := range b.labels {
		r.Restricted = r.Restricted || !scheme.IsPublic(l.Classification)
	}
	b.violations(&r)
	b.restrictions(&r)
	b.incidents(&r)
	r.Map = b.mapData()
	r.Summary = summary(r, scheme)
	return r, nil
}

// builder holds the work of one Build.
type builder struct {
	in             Input
	scheme         label.Scheme
	a              *terms.Agreement
	prev, from, to time.Time
	labels         map[string]label.Label // the labels of the records drawn on, by their String

	// The records of each day: 0 the report's, 1 the day before.
	days [2]records
}

// records are the records of one day, each list by time then id.
type records struct {
	violations   []located[*Violation]
	restrictions []located[*Restriction]
	incidents    []*Incident
}

// located is a record with the code and the name of its region.
type located[T any] struct {
	rec                T
	region, regionName string
}

// day returns 0 for a time in the report's day, 1 for one in the day
// before and -1 for any other.
func (b *builder) day(t time.Time) int {
	switch {
	case !t.Before(b.from) && t.Before(b.to):
		return 0
	case !t.Before(b.prev) && t.Before(b.from):
		return 1
	}
	return -1
}

// keep reports whether a record labelled l belongs in the report.
func (b *builder) keep(l label.Label) bool {
	return !b.in.Public || b.scheme.IsPublic(l.Classification)
}

// checkLabel checks l and remembers it for the report's label.
func (b *builder) checkLabel(kind, id string, l label.Label) error {
	key := l.Normalize().String()
	if _, ok := b.labels[key]; ok {
		return nil
	}
	if ps := b.scheme.Check(l); len(ps) > 0 {
		return fmt.Errorf("report: %s %q: label %q: %w", kind, id, l, label.Problems(ps))
	}
	b.labels[key] = l
	return nil
}

// selectRecords picks the records of the two days, checks them and sorts them.
func (b *builder) selectRecords() error {
	for i := range b.in.Violations {
		v := &b.in.Violations[i]
		day := b.day(v.Time)
		if day < 0 || !b.keep(v.Label) {
			continue
		}
		if !slices.Contains(states, verify.State(v.State)) {
			return fmt.Errorf("report: violation %q: unknown state %q (want one of %s)", v.ID, v.State, joinStates())
		}
		if !slices.Contains(terms.Severities, v.Severity) {
			return fmt.Errorf("report: violation %q: unknown severity %q (want one of %s)", v.ID, v.Severity, strings.Join(terms.Severities, ", "))
		}
		if err := b.checkLabel("violation", v.ID, v.Label); err != nil {
			return err
		}
		lv := located[*Violation]{rec: v}
		if counted(v.State) {
			lv.region, lv.regionName = b.region(v.Position)
		}
		b.days[day].violations = append(b.days[day].violations, lv)
	}
	for i := range b.in.Restrictions {
		x := &b.in.Restrictions[i]
		day := b.day(x.Time)
		if day < 0 || !b.keep(x.Label) {
			continue
		}
		if err := b.checkLabel("restriction", x.ID, x.Label); err != nil {
			return err
		}
		lx := located[*Restriction]{rec: x}
		if day == 0 {
			lx.region, lx.regionName = b.region(x.Position)
		}
		b.days[day].restrictions = append(b.days[day].restrictions, lx)
	}
	for i := range b.in.Incidents {
		n := &b.in.Incidents[i]
		day := b.day(n.Time)
		if day < 0 || !b.keep(n.Label) {
			continue
		}
		if err := b.checkLabel("incident", n.ID, n.Label); err != nil {
			return err
		}
		b.days[day].incidents = append(b.days[day].incidents, n)
	}
	for day := range 2 {
		slices.SortFunc(b.days[day].violations, func(x, y located[*Violation]) int {
			return cmp.Or(x.rec.Time.Compare(y.rec.Time), cmp.Compare(x.rec.ID, y.rec.ID))
		})
		slices.SortFunc(b.days[day].restrictions, func(x, y located[*Restriction]) int {
			return cmp.Or(x.rec.Time.Compare(y.rec.Time), cmp.Compare(x.rec.ID, y.rec.ID))
		})
		slices.SortFunc(b.days[day].incidents, func(x, y *Incident) int {
			return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(x.ID, y.ID))
		})
	}
	return nil
}

func joinStates() string {
	s := make([]string, len(states))
	for i, st := range states {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// label returns the report's label: the most restrictive of the labels of
// the records it draws on, or the least protected level when there are none.
func (b *builder) label() (label.Label, error) {
	if len(b.labels) == 0 {
		return label.Label{Classification: b.scheme.Levels[0]}, nil
	}
	keys := make([]string, 0, len(b.labels))
	for k := range b.labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ls := make([]label.Label, len(keys))
	for i, k := range keys {
		ls[i] = b.labels[k]
	}
	l, err := label.MostRestrictive(b.scheme, ls...)
	if err != nil {
		return label.Label{}, fmt.Errorf("report: %w", err)
	}
	return l, nil
}

// counted reports whether a candidate in state s is a violation: rejected,
// merged and split candidates are not.
func counted(s string) bool {
	switch verify.State(s) {
	case verify.Open, verify.MoreInformation, verify.SecondReview, verify.Verified:
		return true
	}
	return false
}

// table accumulates Rows: those of fixed codes in their order, then any
// other code met, sorted.
type table struct {
	rows  map[string]*Row
	fixed []string
	name  func(code string) string // the name of a code met that is not fixed
}

func newTable(name func(string) string) *table {
	return &table{rows: map[string]*Row{}, name: name}
}

// fix adds a row that is listed even when it counts nothing.
func (t *table) fix(code, name string) {
	if _, ok := t.rows[code]; ok {
		return
	}
	t.rows[code] = &Row{Code: code, Name: name}
	t.fixed = append(t.fixed, code)
}

// add counts a violation in state of day under code.
func (t *table) add(code string, day int, state string) {
	r, ok := t.rows[code]
	if !ok {
		r = &Row{Code: code, Name: t.name(code)}
		t.rows[code] = r
	}
	r.count(day, state)
}

// count counts a violation in state of day.
func (f *Figure) count(day int, state string) {
	switch {
	case day == 1:
		f.Previous++
	case state == string(verify.Verified):
		f.Verified++
	default:
		f.Unverified++
	}
}

// list returns the rows: the fixed ones, then the others by code.
func (t *table) list() []Row {
	var extra []string
	for code := range t.rows {
		if !slices.Contains(t.fixed, code) {
			extra = append(extra, code)
		}
	}
	slices.Sort(extra)
	out := make([]Row, 0, len(t.rows))
	for _, code := range slices.Concat(t.fixed, extra) {
		r := *t.rows[code]
		r.Figure.finish()
		out = append(out, r)
	}
	return out
}

// finish sets Total and Change from the counts.
func (f *Figure) finish() {
	f.Total = f.Verified + f.Unverified
	f.Change = f.Total - f.Previous
}

// typeName returns the name of a violation type.
func (b *builder) typeName(code string) string {
	if n, ok := typeNames[code]; ok {
		return n
	}
	return humanize(code)
}

// humanize turns a lower_snake_case code into words with a capital.
func humanize(code string) string { return capital(strings.ReplaceAll(code, "_", " ")) }

// partyName returns the name of a party, NotAttributable for "".
func (b *builder) partyName(code string) string {
	if code == "" {
		return NotAttributable
	}
	if p, ok := b.a.Party(code); ok && p.Name != "" {
		return p.Name
	}
	return code
}

// region returns the code and the name of the region p is in: "" and
// OutsideRegions when it is in none.
func (b *builder) region(p geo.LonLat) (code, name string) {
	r, ok := b.a.Region(p)
	if !ok {
		return "", OutsideRegions
	}
	return r.Code, regionName(r)
}

// regionName returns the name of a region, or its code when it has none.
func regionName(r terms.Region) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Code
}

// className returns the name of a weapon class.
func (b *builder) className(code string) string {
	if w, ok := b.a.WeaponClass(code); ok && w.Name != "" {
		return w.Name
	}
	if code == "" {
		return "unknown class"
	}
	return code
}

// violations fills in the figures, lists and states of the violations.
func (b *builder) violations(r *Report) {
	types := newTable(b.typeName)
	for _, t := range terms.ViolationTypes {
		types.fix(t, b.typeName(t))
	}
	for _, rule := range b.in.Terms.Rules {
		types.fix(rule.Type, b.typeName(rule.Type))
	}
	regions := newTable(func(string) string { return OutsideRegions })
	for _, reg := range b.in.Terms.Regions {
		regions.fix(reg.Code, regionName(reg))
	}
	parties := newTable(b.partyName)
	for _, p := range b.in.Terms.Parties {
		parties.fix(p.Code, b.partyName(p.Code))
	}
	parties.fix("", NotAttributable)
	classes := newTable(b.className)
	for _, w := range b.in.Terms.WeaponClasses {
		classes.fix(w.Code, b.className(w.Code))
	}

	byState := map[string]int{}
	var all Figure
	var today []located[*Violation]
	for day := range 2 {
		for _, lv := range b.days[day].violations {
			v := lv.rec
			if day == 0 {
				byState[v.State]++
			}
			if !counted(v.State) {
				continue
			}
			all.count(day, v.State)
			types.add(v.Type, day, v.State)
			regions.add(lv.region, day, v.State)
			parties.add(v.Party, day, v.State)
			if v.Type == terms.WeaponInWithdrawalZone {
				classes.add(v.WeaponClass, day, v.State)
			}
			if day == 0 {
				today = append(today, lv)
			}
		}
	}
	all.finish()
	r.Violations = all
	r.Rejected = byState[string(verify.Rejected)]
	for _, s := range states {
		r.States = append(r.States, StateCount{State: string(s), Count: byState[string(s)]})
	}
	r.ByType = types.list()
	r.ByParty = parties.list()
	r.ByRegion = slices.DeleteFunc(regions.list(), func(row Row) bool {
		return row.Code == "" && row.Total == 0 && row.Previous == 0
	})
	r.Weapons.ByClass = classes.list()

	r.Weapons.List = []Entry{}
	for _, lv := range today {
		if lv.rec.Type == terms.WeaponInWithdrawalZone {
			r.Weapons.List = append(r.Weapons.List, b.entry(lv))
		}
	}

	var notable []located[*Violation]
	for _, lv := range today {
		if s := lv.rec.Severity; s == "major" || s == "serious" {
			notable = append(notable, lv)
		}
	}
	// today is sorted by time then id, and the sort is stable.
	slices.SortStableFunc(notable, func(x, y located[*Violation]) int {
		return cmp.Or(
			-cmp.Compare(slices.Index(terms.Severities, x.rec.Severity), slices.Index(terms.Severities, y.rec.Severity)),
			-cmp.Compare(boolInt(x.rec.State == string(verify.Verified)), boolInt(y.rec.State == string(verify.Verified))),
		)
	})
	r.Notable = []Entry{}
	for _, lv := range notable[:min(len(notable), MaxNotable)] {
		r.Notable = append(r.Notable, b.entry(lv))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// entry lists a violation.
func (b *builder) entry(lv located[*Violation]) Entry {
	v := lv.rec
	e := Entry{
		ID: v.ID, Time: v.Time.UTC(), Type: v.Type, TypeName: b.typeName(v.Type), Clause: v.Clause,
		Severity: v.Severity, State: v.State, Party: v.Party, PartyName: b.partyName(v.Party),
		Region: lv.region, RegionName: lv.regionName, Incident: v.Incident,
		Lon: v.Position.Lon, Lat: v.Position.Lat, Reason: v.Reason,
	}
	if v.Type == terms.WeaponInWithdrawalZone {
		e.WeaponClass, e.WeaponName = v.WeaponClass, b.className(v.WeaponClass)
		e.DistanceKM = v.DistanceM / 1000
		withdrawal := v.WithdrawalM
		if withdrawal == 0 {
			withdrawal, _ = b.a.WithdrawalLine(v.WeaponClass)
		}
		e.WithdrawalKM = withdrawal / 1000
	}
	return e
}

// restrictions fills in the restrictions of access.
func (b *builder) restrictions(r *Report) {
	rows := map[string]*AccessRow{}
	var order []string
	for _, p := range b.in.Terms.Parties {
		rows[p.Code] = &AccessRow{Code: p.Code, Name: b.partyName(p.Code)}
		order = append(order, p.Code)
	}
	fixed := len(order)
	var all Access
	for day := range 2 {
		for _, lx := range b.days[day].restrictions {
			x := lx.rec
			row, ok := rows[x.Party]
			if !ok {
				name := b.partyName(x.Party)
				if x.Party == "" {
					name = UnknownParty
				}
				row = &AccessRow{Code: x.Party, Name: name}
				rows[x.Party] = row
				order = append(order, x.Party)
			}
			row.Access.count(day, x.Denied)
			all.count(day, x.Denied)
		}
	}
	slices.Sort(order[fixed:])
	all.finish()
	r.Restrictions.Access = all
	r.Restrictions.ByParty = make([]AccessRow, 0, len(order))
	for _, code := range order {
		row := *rows[code]
		row.Access.finish()
		r.Restrictions.ByParty = append(r.Restrictions.ByParty, row)
	}
	r.Restrictions.List = make([]RestrictionEntry, 0, len(b.days[0].restrictions))
	for _, lx := range b.days[0].restrictions {
		x := lx.rec
		name := b.partyName(x.Party)
		if x.Party == "" {
			name = UnknownParty
		}
		r.Restrictions.List = append(r.Restrictions.List, RestrictionEntry{
			ID: x.ID, Time: x.Time.UTC(), Party: x.Party, PartyName: name, Checkpoint: x.Checkpoint,
			Reason: x.Reason, PatrolSize: x.PatrolSize, Denied: x.Denied, DelayS: x.Delay.Seconds(),
			Region: lx.region, RegionName: lx.regionName, Lon: x.Position.Lon, Lat: x.Position.Lat,
		})
	}
}

// count counts a restriction of day.
func (a *Access) count(day int, denied bool) {
	switch {
	case day == 1:
		a.Previous++
	case denied:
		a.Denied++
	default:
		a.Delayed++
	}
}

// finish sets Total and Change from the counts.
func (a *Access) finish() {
	a.Total = a.Denied + a.Delayed
	a.Change = a.Total - a.Previous
}

// incidents fills in the count of incidents.
func (b *builder) incidents(r *Report) {
	byClass := map[string]*ClassTally{}
	for day := range 2 {
		for _, n := range b.days[day].incidents {
			c, ok := byClass[n.Class]
			if !ok {
				c = &ClassTally{Class: n.Class}
				byClass[n.Class] = c
			}
			if day == 0 {
				c.Total++
				r.Incidents.Total++
			} else {
				c.Previous++
				r.Incidents.Previous++
			}
		}
	}
	r.Incidents.Change = r.Incidents.Total - r.Incidents.Previous
	r.Incidents.ByClass = make([]ClassTally, 0, len(byClass))
	for _, c := range byClass {
		c.Change = c.Total - c.Previous
		r.Incidents.ByClass = append(r.Incidents.ByClass, *c)
	}
	slices.SortFunc(r.Incidents.ByClass, func(x, y ClassTally) int { return cmp.Compare(x.Class, y.Class) })
}
