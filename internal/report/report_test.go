package report

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// The report's day in the scenario: from 19:00 UTC on 2 December 2026 to
// 19:00 UTC on 3 December; the day before from 19:00 on 1 December.
var (
	date   = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	cutoff = time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
)

// at is a time of the scenario: hours after the cut-off.
func at(hours float64) time.Time {
	return cutoff.Add(time.Duration(hours * float64(time.Hour)))
}

func ll(lon, lat float64) geo.LonLat { return geo.LonLat{Lon: lon, Lat: lat} }

var (
	public     = label.PublicLabel()
	restricted = label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}
)

func testTerms(t testing.TB) terms.Terms {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "terms.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := terms.Parse(data, "terms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// scenario is a small day placed by hand around the cut-off. North of
// latitude 48 is region N, south of it region S, west of 36.5 neither.
func scenario(t testing.TB) Input {
	t.Helper()
	v := func(id, typ, party, severity, state string, when time.Time, p geo.LonLat, reason string) Violation {
		clause := map[string]string{terms.FireAcrossLine: "1", terms.FireSameSide: "1", terms.FireUnresolved: "1", terms.PresenceInBufferZone: "2", terms.WeaponInWithdrawalZone: "3", terms.AirspaceCrossing: "4"}[typ]
		return Violation{ID: id, Type: typ, Clause: clause, Party: party, Severity: severity, Incident: "inc-" + id, Time: when, Position: p, State: state, Reason: reason, Label: public}
	}
	weapon := func(x Violation, class string, distance, withdrawal float64) Violation {
		x.WeaponClass, x.DistanceM, x.WithdrawalM = class, distance, withdrawal
		return x
	}
	restrictedV := v("cand-13-restricted", terms.FireAcrossLine, "A", "serious", "open", at(14), ll(37.4, 47.8), "Fire from a position named only in the restricted record.")
	restrictedV.Label = restricted
	vs := []Violation{
		v("cand-01", terms.FireAcrossLine, "A", "major", "verified", at(0), ll(37.45, 48.3), "Fire from Party A's side landed 6.2 km beyond the line."),
		v("cand-02", terms.FireAcrossLine, "B", "serious", "open", at(0).Add(-time.Second), ll(37.55, 47.5), "Fire from Party B's side landed 1.1 km beyond the line."),
		weapon(v("cand-03", terms.WeaponInWithdrawalZone, "B", "serious", "more_information", at(7.25), ll(38.0, 47.6), "A multiple-launch rocket system 42.3 km from the line."), "mlrs", 42_300, 70_000),
		weapon(v("cand-04", terms.WeaponInWithdrawalZone, "A", "serious", "verified", at(11+40.0/60), ll(37.3, 48.6), "A howitzer 12 km from the line."), "artillery_100mm", 12_000, 0),
		v("cand-05", terms.FireSameSide, "", "minor", "second_review", at(15), ll(37.6, 48.2), "Fire that stayed on one side."),
		v("cand-06", terms.PresenceInBufferZone, "B", "serious", "rejected", at(16), ll(37.52, 47.3), "Vehicles in the buffer zone."),
		v("cand-07", terms.FireUnresolved, "", "minor", "merged", at(17), ll(37.7, 47.9), "Fire whose origin was not located."),
		v("cand-08", terms.AirspaceCrossing, "A", "major", "open", at(24).Add(-time.Second), ll(36.0, 48.5), "An aircraft crossed 12 km beyond the line."),
		v("cand-09", terms.FireAcrossLine, "B", "serious", "verified", at(24), ll(37.6, 47.2), "The next day's fire."),
		v("cand-10", terms.FireAcrossLine, "A", "serious", "verified", at(-11), ll(37.4, 48.4), "The day before's fire."),
		v("cand-11", terms.PresenceInBufferZone, "B", "serious", "split", at(-5), ll(37.5, 48.1), "Split into others."),
		weapon(v("cand-12", terms.WeaponInWithdrawalZone, "A", "major", "open", at(-20), ll(37.2, 48.8), "A heavy MLRS 22 km from the line."), "heavy_mlrs", 22_000, 140_000),
		restrictedV,
		v("cand-14", terms.FireAcrossLine, "A", "serious", "open", at(-33), ll(37.0, 48.0), "Two days before."),
	}
	x := func(id, party string, denied bool, delay time.Duration, when time.Time, p geo.LonLat, checkpoint, reason string, size int) Restriction {
		return Restriction{ID: id, Time: when, Position: p, Party: party, Checkpoint: checkpoint, Reason: reason, PatrolSize: size, Delay: delay, Denied: denied, Label: public}
	}
	restrictedX := x("restr-06-restricted", "A", true, 0, at(21), ll(37.2, 48.1), "Checkpoint named only in the restricted record", "", 3)
	restrictedX.Label = restricted
	xs := []Restriction{
		x("restr-01", "B", true, 0, at(13.5), ll(37.9, 47.7), "Checkpoint 14, east of the bridge", "No permission from the command", 4),
		x("restr-02", "A", false, 45*time.Minute, at(18+10.0/60), ll(37.1, 48.4), "Checkpoint 3, north road", "Awaiting orders", 6),
		x("restr-03", "B", false, 20*time.Minute, at(-4), ll(38.1, 48.3), "Checkpoint 9", "", 2),
		x("restr-04", "", true, 0, at(24), ll(37.7, 47.5), "Checkpoint 20", "", 2),
		x("restr-05", "B", false, 90*time.Minute, at(0), ll(38.1, 48.2), `Checkpoint 9 <crossroads> & "mill"`, "Mines on the road", 4),
		restrictedX,
	}
	n := func(id, class string, when time.Time, p geo.LonLat) Incident {
		return Incident{ID: id, Class: class, Time: when, Position: p, Label: public}
	}
	restrictedN := n("inc-05-restricted", "fire", at(14), ll(37.4, 47.8))
	restrictedN.Label = restricted
	ns := []Incident{
		n("inc-01", "fire", at(0), ll(37.45, 48.3)),
		n("inc-02", "fire", at(8), ll(37.55, 47.6)),
		n("inc-03", "equipment", at(7.25), ll(38.0, 47.6)),
		n("inc-04", "fire", at(-1), ll(37.55, 47.5)),
		restrictedN,
		n("inc-06", "fire", at(25), ll(37.5, 47.4)),
	}
	return Input{
		Date: date, CutoffHour: 19, Terms: testTerms(t), Scheme: label.DefaultScheme(),
		Generated:  time.Date(2026, 12, 3, 20, 15, 0, 0, time.UTC),
		Violations: vs, Incidents: ns, Restrictions: xs,
	}
}

func ids(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func restrictionIDs(es []RestrictionEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// fig is a Figure with Total and Change worked out.
func fig(verified, unverified, previous int) Figure {
	return Figure{Total: verified + unverified, Verified: verified, Unverified: unverified, Previous: previous, Change: verified + unverified - previous}
}

func access(denied, delayed, previous int) Access {
	return Access{Total: denied + delayed, Denied: denied, Delayed: delayed, Previous: previous, Change: denied + delayed - previous}
}

func tally(total, previous int) Tally {
	return Tally{Total: total, Previous: previous, Change: total - previous}
}

func stateCounts(open, more, second, verified, rejected, merged, split int) []StateCount {
	return []StateCount{{"open", open}, {"more_information", more}, {"second_review", second}, {"verified", verified}, {"rejected", rejected}, {"merged", merged}, {"split", split}}
}

// check is one figure of a report and its value worked out by hand.
type check struct {
	name      string
	got, want any
}

// TestScenario checks every figure of the scenario's report, worked out by
// hand. The day's violations are cand-01 (at the cut-off exactly), 03, 04,
// 05, 06 (rejected), 07 (merged), 08 (a second before the next cut-off)
// and 13 (restricted); cand-02 (a second before the cut-off), 10, 11
// (split) and 12 are the day before's; 09 is the next day's and 14 two
// days before.
func TestScenario(t *testing.T) {
	r, err := Build(scenario(t))
	if err != nil {
		t.Fatal(err)
	}
	checks := []check{
		{"date", r.Date, "2026-12-02"},
		{"from", r.From, cutoff},
		{"to", r.To, cutoff.Add(24 * time.Hour)},
		{"terms", []string{r.TermsID, r.TermsVersion}, []string{"report-test", "3"}},
		{"label", r.Label, restricted},
		{"restricted", r.Restricted, true},
		{"violations", r.Violations, fig(2, 4, 3)},
		{"rejected", r.Rejected, 1},
		{"states", r.States, stateCounts(2, 1, 1, 2, 1, 1, 0)},
		{"by type", r.ByType, []Row{
			{terms.FireAcrossLine, "Fire across the contact line", fig(1, 1, 2)},
			{terms.FireSameSide, "Fire on one side of the line", fig(0, 1, 0)},
			{terms.FireUnresolved, "Fire not located at both ends", fig(0, 0, 0)},
			{terms.WeaponInWithdrawalZone, "Heavy weapons inside their withdrawal zone", fig(1, 1, 1)},
			{terms.PresenceInBufferZone, "Presence in the buffer zone", fig(0, 0, 0)},
			{terms.AirspaceCrossing, "Drones and aircraft across the line", fig(0, 1, 0)},
		}},
		{"by region", r.ByRegion, []Row{
			{"N", "North sector", fig(2, 1, 2)},
			{"S", "South sector", fig(0, 2, 1)},
			{"", OutsideRegions, fig(0, 1, 0)},
		}},
		{"by party", r.ByParty, []Row{
			{"A", "Party A", fig(2, 2, 2)},
			{"B", "Party B", fig(0, 1, 1)},
			{"", NotAttributable, fig(0, 1, 0)},
		}},
		{"weapons by class", r.Weapons.ByClass, []Row{
			{"artillery_100mm", "Artillery of 100 mm calibre and above", fig(1, 0, 0)},
			{"mlrs", "Multiple-launch rocket systems", fig(0, 1, 0)},
			{"heavy_mlrs", "Heavy MLRS and tactical missile systems", fig(0, 0, 1)},
		}},
		{"weapons", ids(r.Weapons.List), []string{"cand-03", "cand-04"}},
		{"weapon distances", [][2]float64{{r.Weapons.List[0].DistanceKM, r.Weapons.List[0].WithdrawalKM}, {r.Weapons.List[1].DistanceKM, r.Weapons.List[1].WithdrawalKM}}, [][2]float64{{42.3, 70}, {12, 50}}},
		{"weapon names", []string{r.Weapons.List[0].WeaponName, r.Weapons.List[0].PartyName, r.Weapons.List[0].RegionName, r.Weapons.List[1].RegionName}, []string{"Multiple-launch rocket systems", "Party B", "South sector", "North sector"}},
		// Major before serious, verified before unverified, then by time;
		// cand-05 is minor.
		{"notable", ids(r.Notable), []string{"cand-01", "cand-08", "cand-04", "cand-03", "cand-13-restricted"}},
		{"notable reason", r.Notable[0].Reason, "Fire from Party A's side landed 6.2 km beyond the line."},
		{"notable outside", []string{r.Notable[1].Region, r.Notable[1].RegionName}, []string{"", OutsideRegions}},
		{"restrictions", r.Restrictions.Access, access(2, 2, 1)},
		{"restrictions by party", r.Restrictions.ByParty, []AccessRow{
			{"A", "Party A", access(1, 1, 0)},
			{"B", "Party B", access(1, 1, 1)},
		}},
		{"restriction list", restrictionIDs(r.Restrictions.List), []string{"restr-05", "restr-01", "restr-02", "restr-06-restricted"}},
		{"restriction delay", r.Restrictions.List[0].DelayS, 5400.0},
		{"incidents", r.Incidents.Tally, tally(4, 1)},
		{"incidents by class", r.Incidents.ByClass, []ClassTally{{"equipment", tally(1, 0)}, {"fire", tally(3, 1)}}},
		{"map violations", len(r.Map.Violations.Markers), 6},
		{"map restrictions", len(r.Map.Restrictions.Markers), 4},
		{"map incidents", len(r.Map.Incidents.Markers), 4},
		{"map bbox", r.Map.BBox, [4]float64{36.0, 47.0, 38.5, 49.0}},
		{"map regions", len(r.Map.Regions), 2},
		{"summary", r.Summary, "The mission recorded 6 ceasefire violations, 3 more than the previous day; 2 are verified and 4 await verification. " +
			"The most frequent were fire across the contact line and heavy weapons inside their withdrawal zone (2 each). " +
			"Of these, 4 were attributed to Party A, 1 to Party B and 1 not attributable. " +
			"2 heavy weapons were seen inside their withdrawal zones. " +
			"The monitors' access was restricted 4 times (2 denied, 2 delayed), 3 more than the previous day. " +
			"Analysts rejected 1 candidate violation. In all, the mission recorded 4 incidents."},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
}

// TestPublic checks that the public version leaves out every restricted
// record: cand-13, restr-06 and inc-05.
func TestPublic(t *testing.T) {
	in := scenario(t)
	in.Public = true
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	checks := []check{
		{"public", r.Public, true},
		{"label", r.Label, public},
		{"restricted", r.Restricted, false},
		{"violations", r.Violations, fig(2, 3, 3)},
		{"states", r.States, stateCounts(1, 1, 1, 2, 1, 1, 0)},
		{"fire across the line", r.ByType[0], Row{terms.FireAcrossLine, "Fire across the contact line", fig(1, 0, 2)}},
		{"region S", r.ByRegion[1], Row{"S", "South sector", fig(0, 1, 1)}},
		{"party A", r.ByParty[0], Row{"A", "Party A", fig(2, 1, 2)}},
		{"notable", ids(r.Notable), []string{"cand-01", "cand-08", "cand-04", "cand-03"}},
		{"restrictions", r.Restrictions.Access, access(1, 2, 1)},
		{"restrictions of A", r.Restrictions.ByParty[0], AccessRow{"A", "Party A", access(0, 1, 0)}},
		{"restriction list", restrictionIDs(r.Restrictions.List), []string{"restr-05", "restr-01", "restr-02"}},
		{"incidents", r.Incidents.Tally, tally(3, 1)},
		{"map violations", len(r.Map.Violations.Markers), 5},
		{"map restrictions", len(r.Map.Restrictions.Markers), 3},
		{"map incidents", len(r.Map.Incidents.Markers), 3},
		{"summary says so", strings.HasSuffix(r.Summary, "This public version counts only records marked PUBLIC."), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
	var html strings.Builder
	if err := r.HTML(&html); err != nil {
		t.Fatal(err)
	}
	page := html.String()
	for _, s := range []string{"cand-13-restricted", "restr-06-restricted", "inc-05-restricted", "RESTRICTED", "FRA", "named only in the restricted record"} {
		if strings.Contains(page, s) {
			t.Errorf("the public page holds %q", s)
		}
	}
	if !strings.Contains(page, "Public version: contains only records marked PUBLIC.") {
		t.Error("the public page has no notice that it is public")
	}

	// The full version holds them, with its notice.
	full, err := Build(scenario(t))
	if err != nil {
		t.Fatal(err)
	}
	html.Reset()
	if err := full.HTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"cand-13-restricted", "restr-06-restricted", "inc-05-restricted", "Checkpoint named only in the restricted record",
		"Not for public release: this version may contain restricted information.", "RESTRICTED REL TO FRA, GBR"} {
		if !strings.Contains(html.String(), s) {
			t.Errorf("the full page lacks %q", s)
		}
	}
}

// TestWindow checks which day a record falls in: the report's day includes
// its cut-off and excludes the next.
func TestWindow(t *testing.T) {
	tests := []struct {
		when            time.Time
		total, previous int
	}{
		{at(-24).Add(-time.Second), 0, 0},
		{at(-24), 0, 1},
		{at(0).Add(-time.Second), 0, 1},
		{at(0), 1, 0},
		{at(24).Add(-time.Second), 1, 0},
		{at(24), 0, 0},
		{at(0).In(time.FixedZone("UTC+2", 2*3600)), 1, 0},
	}
	for _, tt := range tests {
		in := scenario(t)
		in.Violations = []Violation{{ID: "v", Type: terms.FireAcrossLine, Party: "A", Severity: "serious", State: "open", Time: tt.when, Position: ll(37.4, 48.3), Label: public}}
		r, err := Build(in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Violations.Total != tt.total || r.Violations.Previous != tt.previous {
			t.Errorf("at %v: total %d, previous %d; want %d, %d", tt.when, r.Violations.Total, r.Violations.Previous, tt.total, tt.previous)
		}
	}
	// The date's own year, month and day count, whatever its location.
	in := scenario(t)
	in.Date = time.Date(2026, 12, 2, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
	in.CutoffHour = 0
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC); !r.From.Equal(want) || r.Date != "2026-12-02" {
		t.Errorf("From = %v, Date = %s; want %v", r.From, r.Date, want)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"zero date", func(in *Input) { in.Date = time.Time{} }, "report: the date is required"},
		{"cut-off below 0", func(in *Input) { in.CutoffHour = -1 }, "report: cut-off hour -1 is outside 0 to 23"},
		{"cut-off 24", func(in *Input) { in.CutoffHour = 24 }, "report: cut-off hour 24 is outside 0 to 23"},
		{"bad terms", func(in *Input) { in.Terms.Parties = nil }, "report: terms \"report-test\" version \"3\": "},
		{"bad scheme", func(in *Input) { in.Scheme = label.Scheme{Levels: []label.Classification{"low"}} }, "report: invalid classification scheme"},
		{"public without a public level", func(in *Input) {
			in.Public = true
			in.Scheme = label.Scheme{Levels: []label.Classification{label.Restricted, label.Secret}}
		}, "report: a public version needs a classification scheme with a public level"},
		{"unknown state", func(in *Input) { in.Violations[0].State = "closed" }, `report: violation "cand-01": unknown state "closed" (want one of open, more_information, second_review, verified, rejected, merged, split)`},
		{"unknown severity", func(in *Input) { in.Violations[0].Severity = "grave" }, `report: violation "cand-01": unknown severity "grave" (want one of minor, serious, major)`},
		{"bad label", func(in *Input) { in.Restrictions[0].Label = label.Label{Classification: label.Secret} }, `report: restriction "restr-01": label "SECRET": rel_to: a SECRET record must name at least one nation`},
	}
	for _, tt := range tests {
		in := scenario(t)
		tt.change(&in)
		_, err := Build(in)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	// A bad record of another day is none of the report's business.
	in := scenario(t)
	in.Violations[8].State = "closed" // cand-09, the next day's
	if _, err := Build(in); err != nil {
		t.Errorf("a bad record of the next day: %v", err)
	}
}

func TestEmptyDay(t *testing.T) {
	in := scenario(t)
	in.Violations, in.Restrictions, in.Incidents = nil, nil, nil
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	want := "The mission recorded no ceasefire violations, as on the previous day. The monitors' access was not restricted. In all, the mission recorded no incidents."
	if r.Summary != want {
		t.Errorf("Summary = %q, want %q", r.Summary, want)
	}
	if !reflect.DeepEqual(r.Label, public) || r.Restricted || len(r.Notable) != 0 || len(r.ByRegion) != 2 {
		t.Errorf("empty report: label %v, restricted %v, notable %v, regions %v", r.Label, r.Restricted, r.Notable, r.ByRegion)
	}
	var b strings.Builder
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"No heavy weapon was seen inside its withdrawal zone.", "No major or serious violation.", "The monitors' access was not restricted."} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("the empty page lacks %q", s)
		}
	}
}

func TestSummaryWords(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {50_000, "50,000"}, {1_234_567, "1,234,567"}, {-4321, "-4,321"},
	}
	for _, tt := range tests {
		if got := num(tt.n); got != tt.want {
			t.Errorf("num(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := and([]string{"a", "b", "c"}); got != "a, b and c" {
		t.Errorf("and = %q", got)
	}
	if got := signed(-3) + " " + signed(0) + " " + signed(1200); got != "−3 0 +1,200" {
		t.Errorf("signed = %q", got)
	}
	if got := delay(5400) + ", " + delay(2700) + ", " + delay(7200); got != "1 h 30 min, 45 min, 2 h" {
		t.Errorf("delay = %q", got)
	}
}

// TestNoNationInCommon checks the notice of a report drawing on restricted
// records released to different nations: no nation may receive it whole.
func TestNoNationInCommon(t *testing.T) {
	in := scenario(t)
	in.Restrictions[5].Label = label.Label{Classification: label.Confidential, RelTo: []string{"DEU"}}
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (label.Label{Classification: label.Confidential}); !reflect.DeepEqual(r.Label, want) || !r.Restricted {
		t.Errorf("Label = %v, Restricted = %v; want %v, true", r.Label, r.Restricted, want)
	}
	var b strings.Builder
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Those records are released to no nation in common") {
		t.Error("the page does not say its records share no nation")
	}
}
