// Package evaluate measures fusion against a simulated scenario's ground
// truth: it runs the scenario's observations, in the order a client sent
// them, through the same incident engine the server runs, and scores the
// acoustic association, the locations, their uncertainty ellipses, and the
// attributions against what really happened.
package evaluate

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/sim"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// Scenario is what a run needs: the inputs a server would get and the truth.
type Scenario struct {
	Terms        terms.Terms
	Sensors      []observe.Sensor
	Observations []observe.Observation
	Truth        sim.Truth
}

// Report is the outcome of a run. The JSON keys are stable: scripts and
// docs/benchmarks.md read them.
type Report struct {
	// AssociationPrecision is the share of acoustic events whose
	// detections are, to at least PureShare, of one true sound.
	AssociationPrecision float64 `json:"association_precision"`
	// AssociationRecall is the share of detectable sounds (heard by at
	// least four sensors) that have an event holding at least half of
	// their detections, to at least PureShare its own.
	AssociationRecall float64 `json:"association_recall"`
	// LocatedShare is the share of detectable sounds whose event was
	// located.
	LocatedShare float64 `json:"located_share"`
	// WithinEllipse95 is the share of located sounds whose true source is
	// inside their own 95 % ellipse: close to 0.95 when the covariances are
	// honest.
	WithinEllipse95 float64 `json:"within_ellipse_95"`
	// RMSEOverCRLB is the root mean square location error over the root
	// mean square of the Cramér–Rao bound's standard error (√trace).
	RMSEOverCRLB float64 `json:"rmse_over_crlb"`
	// RMSEM and CRLBM are those two figures, in metres.
	RMSEM float64 `json:"rmse_m"`
	CRLBM float64 `json:"crlb_m"`
	// AttributionAccuracy is, among incidents attributed to a party, the
	// share attributed to the party truly responsible.
	AttributionAccuracy float64 `json:"attribution_accuracy"`
	// WrongSideRateP95 is, among attributions with probability at least
	// 0.95, the share naming the wrong party.
	WrongSideRateP95 float64 `json:"wrong_side_rate_p95"`
	// Attributed and AttributedP95 count those attributions.
	Attributed    int `json:"attributed"`
	AttributedP95 int `json:"attributed_p95"`
	// OriginsLocated is the share of fire events whose origin an incident
	// located (an incident with an origin whose observations are mostly
	// the event's).
	OriginsLocated float64 `json:"origins_located"`
	// DetectionsPerSecond is the number of acoustic detections the engine
	// took per second of processing.
	DetectionsPerSecond float64 `json:"detections_per_second"`
	// LatencyP99MS is the 99th percentile, over located sounds, of the
	// time from the arrival of a sound's last detection to the report of
	// the incident it joined, in stream time (when each observation was
	// sent), in milliseconds.
	LatencyP99MS float64 `json:"latency_p99_ms"`
	// LatencyP50MS is the median of the same.
	LatencyP50MS float64 `json:"latency_p50_ms"`

	// Violations scores the rules' candidates by violation type against
	// the simulator's violations.
	Violations map[string]ViolationScore `json:"violations"`

	Sounds           int     `json:"sounds"`
	DetectableSounds int     `json:"detectable_sounds"`
	Detections       int     `json:"detections"`
	AcousticEvents   int     `json:"acoustic_events"`
	Unassociated     int     `json:"unassociated"`
	Incidents        int     `json:"incidents"`
	Observations     int     `json:"observations"`
	StreamSeconds    float64 `json:"stream_seconds"`
	ProcessSeconds   float64 `json:"process_seconds"`
}

// PureShare is the share of an event's detections that must be of one
// sound for the event to count as that sound's.
const PureShare = 0.8

// Config tunes a run.
type Config struct {
	// Engine configures the engine; its Sensors and Terms are the
	// scenario's.
	Engine incident.Config
}

// sound identifies a true sound: an event's round and which end of it.
type sound struct {
	event string
	shot  int
	kind  string // "launch" or "impact"
}

// Run runs the scenario and scores it.
func Run(sc Scenario, cfg Config) (Report, error) {
	ec := cfg.Engine
	ec.Sensors, ec.Terms = sc.Sensors, []terms.Terms{sc.Terms}
	eng, err := incident.New(ec)
	if err != nil {
		return Report{}, err
	}
	truthOf := make(map[string]sim.ObservationTruth, len(sc.Truth.Observations))
	for _, ot := range sc.Truth.Observations {
		truthOf[ot.ID] = ot
	}
	soundOf := map[string]sound{} // acoustic detection id → its sound
	heard := map[sound]map[string]bool{}
	var rep Report
	for _, o := range sc.Observations {
		ot := truthOf[o.ID]
		if o.Kind != observe.KindAcoustic || ot.EventID == sim.FalseEventID || ot.EventID == "" ||
			(ot.Sound != "launch" && ot.Sound != "impact") {
			continue
		}
		s := sound{ot.EventID, ot.Shot, ot.Sound}
		soundOf[o.ID] = s
		if heard[s] == nil {
			heard[s] = map[string]bool{}
		}
		heard[s][o.Acoustic.SensorID] = true
	}

	// Run the stream: each observation at the time it was sent.
	var (
		acoustic []incident.AcousticEvent
		final    = map[string]incident.Incident{}
		reportAt = map[string]time.Time{} // incident id → stream time of its first report
		sentAt   = map[string]time.Time{}
		now      time.Time
		busy     time.Duration
	)
	collect := func(out incident.Output) {
		acoustic = append(acoustic, out.Acoustic...)
		rep.Unassociated += len(out.Unassociated)
		for _, in := range out.Incidents {
			final[in.ID] = in
			if _, ok := reportAt[in.ID]; !ok {
				reportAt[in.ID] = now
			}
		}
	}
	for _, o := range sc.Observations {
		t := truthOf[o.ID].SentAt
		if t.IsZero() {
			t = o.ObservedAt
		}
		if t.After(now) {
			now = t
		}
		if _, ok := sentAt[o.ID]; !ok {
			sentAt[o.ID] = now
		}
		if o.Kind == observe.KindAcoustic {
			rep.Detections++
		}
		rep.Observations++
		start := time.Now()
		out, err := eng.Add(now, o)
		busy += time.Since(start)
		if err != nil {
			return Report{}, fmt.Errorf("observation %s: %w", o.ID, err)
		}
		collect(out)
	}
	start := time.Now()
	collect(eng.Flush())
	busy += time.Since(start)
	rep.ProcessSeconds = busy.Seconds()
	if len(sc.Observations) > 0 {
		rep.StreamSeconds = now.Sub(truthOf[sc.Observations[0].ID].SentAt).Seconds()
	}
	if busy > 0 {
		rep.DetectionsPerSecond = float64(rep.Detections) / busy.Seconds()
	}
	rep.AcousticEvents = len(acoustic)
	rep.Incidents = 0
	for _, in := range final {
		if in.MergedInto == "" {
			rep.Incidents++
		}
	}

	scoreAcoustic(&rep, sc, acoustic, soundOf, heard, sentAt, reportAt, final)
	scoreAttribution(&rep, sc, final, truthOf)
	if rep.Violations, err = scoreViolations(sc, final, truthOf); err != nil {
		return rep, err
	}
	return rep, nil
}

// scoreAcoustic scores association, location and latency.
func scoreAcoustic(rep *Report, sc Scenario, acoustic []incident.AcousticEvent, soundOf map[string]sound,
	heard map[sound]map[string]bool, sentAt, reportAt map[string]time.Time, final map[string]incident.Incident) {
	events := map[string]sim.Event{}
	for _, ev := range sc.Truth.Events {
		events[ev.ID] = ev
	}
	rep.Sounds = len(heard)
	detectable := map[sound]bool{}
	for s, sensors := range heard {
		if len(sensors) >= 4 {
			detectable[s] = true
		}
	}
	rep.DetectableSounds = len(detectable)
	total := map[sound]int{} // detections of each sound
	for _, s := range soundOf {
		total[s]++
	}
	pure, found, located, inside := 0, map[sound]bool{}, 0, 0
	var sumErr2, sumCRLB float64
	var delays []float64
	for _, a := range acoustic {
		count := map[sound]int{}
		for _, id := range a.Detections {
			if s, ok := soundOf[id]; ok {
				count[s]++
			}
		}
		var best sound
		n := 0
		for s, c := range count {
			if c > n || (c == n && less(s, best)) {
				best, n = s, c
			}
		}
		if float64(n) < PureShare*float64(len(a.Detections)) {
			continue
		}
		pure++
		if found[best] || 2*n < total[best] {
			continue
		}
		found[best] = true
		if a.Err != nil || !detectable[best] {
			continue
		}
		located++
		truePos, ok := sourceOf(events[best.event], best)
		if !ok {
			continue
		}
		if a.Fix.Ellipse95.Contains(a.Fix.Position, truePos) {
			inside++
		}
		d := geo.Distance(a.Fix.Position, truePos)
		sumErr2 += d * d
		sumCRLB += a.Fix.CRLB[0][0] + a.Fix.CRLB[1][1]
		var last time.Time
		for _, id := range a.Detections {
			if t := sentAt[id]; t.After(last) {
				last = t
			}
		}
		if at, ok := reportAt[a.Incident]; ok && a.Incident != "" {
			delays = append(delays, float64(max(at.Sub(last), 0))/float64(time.Millisecond))
		} else if in, ok := final[a.Incident]; ok && in.MergedInto != "" {
			if at, ok := reportAt[in.MergedInto]; ok {
				delays = append(delays, float64(max(at.Sub(last), 0))/float64(time.Millisecond))
			}
		}
	}
	recall := 0
	for s := range detectable {
		if found[s] {
			recall++
		}
	}
	rep.AssociationPrecision = ratio(pure, len(acoustic))
	rep.AssociationRecall = ratio(recall, len(detectable))
	rep.LocatedShare = ratio(located, len(detectable))
	rep.WithinEllipse95 = ratio(inside, located)
	if located > 0 && sumCRLB > 0 {
		rep.RMSEM = math.Sqrt(sumErr2 / float64(located))
		rep.CRLBM = math.Sqrt(sumCRLB / float64(located))
		rep.RMSEOverCRLB = rep.RMSEM / rep.CRLBM
	}
	rep.LatencyP50MS, rep.LatencyP99MS = quantile(delays, 0.5), quantile(delays, 0.99)
}

// sourceOf is where a sound was made: the firing position of a launch,
// the round's impact point of an impact.
func sourceOf(ev sim.Event, s sound) (geo.LonLat, bool) {
	if s.kind == "launch" && ev.Origin != nil {
		return geo.LonLat{Lon: ev.Origin.Position[0], Lat: ev.Origin.Position[1]}, true
	}
	for _, sh := range ev.Shots {
		if sh.Index == s.shot && s.kind == "impact" {
			return geo.LonLat{Lon: sh.Impact[0], Lat: sh.Impact[1]}, true
		}
	}
	return geo.LonLat{}, false
}

// scoreAttribution scores the attributions of the final incidents against
// the party truly responsible for the event most of their observations are of.
func scoreAttribution(rep *Report, sc Scenario, final map[string]incident.Incident, truthOf map[string]sim.ObservationTruth) {
	events := map[string]sim.Event{}
	fire := 0
	for _, ev := range sc.Truth.Events {
		events[ev.ID] = ev
		if ev.Type == sim.EventFireCrossLine || ev.Type == sim.EventFireSameSide {
			fire++
		}
	}
	right, wrongP95 := 0, 0
	originOf := map[string]bool{}
	for _, in := range final {
		if in.MergedInto != "" {
			continue
		}
		ev, ok := majorityEvent(in, final, truthOf)
		if !ok {
			continue
		}
		if in.Role == "origin" && in.Origin != nil {
			originOf[ev] = true
		}
		a := in.Attribution
		if a.Of == "" || a.Party == "" {
			continue
		}
		// An impact incident is attributed by its linked origin: score
		// the origin's event, which is the same fire event when the link
		// is right.
		truth := events[ev].Party
		rep.Attributed++
		if a.Party == truth {
			right++
		}
		if a.Probability >= 0.95 {
			rep.AttributedP95++
			if a.Party != truth {
				wrongP95++
			}
		}
	}
	rep.AttributionAccuracy = ratio(right, rep.Attributed)
	rep.WrongSideRateP95 = ratio(wrongP95, rep.AttributedP95)
	rep.OriginsLocated = ratio(len(originOf), fire)
}

// majorityEvent is the true event most of an incident's observations are
// of (false ones left out); for an impact attributed by its linked origin,
// the origin's.
func majorityEvent(in incident.Incident, final map[string]incident.Incident, truthOf map[string]sim.ObservationTruth) (string, bool) {
	src := in
	if in.Attribution.Of == "origin" && in.Role != "origin" && in.Linked != "" {
		if o, ok := final[in.Linked]; ok {
			src = o
		}
	}
	count := map[string]int{}
	for _, id := range src.Observations() {
		if ot, ok := truthOf[id]; ok && ot.EventID != sim.FalseEventID && ot.EventID != "" {
			count[ot.EventID]++
		}
	}
	best, n := "", 0
	for ev, c := range count {
		if c > n || (c == n && ev < best) {
			best, n = ev, c
		}
	}
	return best, n > 0
}

func less(a, b sound) bool {
	return cmp.Or(cmp.Compare(a.event, b.event), cmp.Compare(a.shot, b.shot), cmp.Compare(a.kind, b.kind)) < 0
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[min(len(xs)-1, int(math.Ceil(q*float64(len(xs))))-1)]
}

// WriteTable writes the report as a table for people.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := []struct {
		name, value, note string
	}{
		{"observations", fmt.Sprint(r.Observations), fmt.Sprintf("over %.0f s of stream", r.StreamSeconds)},
		{"acoustic detections", fmt.Sprint(r.Detections), fmt.Sprintf("%d sounds, %d heard by at least 4 sensors", r.Sounds, r.DetectableSounds)},
		{"acoustic events", fmt.Sprint(r.AcousticEvents), fmt.Sprintf("%d detections unassociated", r.Unassociated)},
		{"association precision", f3(r.AssociationPrecision), "events whose detections are one sound"},
		{"association recall", f3(r.AssociationRecall), "detectable sounds found"},
		{"located", f3(r.LocatedShare), "detectable sounds located"},
		{"within 95% ellipse", f3(r.WithinEllipse95), "should be close to 0.95"},
		{"RMSE / CRLB", f3(r.RMSEOverCRLB), fmt.Sprintf("%.1f m / %.1f m", r.RMSEM, r.CRLBM)},
		{"incidents", fmt.Sprint(r.Incidents), fmt.Sprintf("origins of %.0f%% of fire events located", 100*r.OriginsLocated)},
		{"attribution accuracy", f3(r.AttributionAccuracy), fmt.Sprintf("of %d attributions", r.Attributed)},
		{"wrong side at p ≥ 0.95", f3(r.WrongSideRateP95), fmt.Sprintf("of %d attributions", r.AttributedP95)},
		{"detections per second", fmt.Sprintf("%.0f", r.DetectionsPerSecond), fmt.Sprintf("%.1f s of processing", r.ProcessSeconds)},
		{"latency p50 / p99", fmt.Sprintf("%.0f / %.0f ms", r.LatencyP50MS, r.LatencyP99MS), "last detection to incident, stream time"},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row.name, row.value, row.note)
	}
	types := make([]string, 0, len(r.Violations))
	for typ := range r.Violations {
		types = append(types, typ)
	}
	slices.Sort(types)
	for _, typ := range types {
		v := r.Violations[typ]
		recall := fmt.Sprintf("%.3f", v.Recall)
		if v.Truth == 0 {
			recall = "—"
		}
		fmt.Fprintf(tw, "%s\tP %.3f R %s\t%d candidates for %d true; %d attributed, %.1f%% to the wrong party\n",
			typ, v.Precision, recall, v.Candidates, v.Truth, v.Attributed, 100*v.WrongParty)
	}
	return tw.Flush()
}

func f3(x float64) string { return fmt.Sprintf("%.3f", x) }
