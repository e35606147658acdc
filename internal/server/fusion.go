package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/guarantor-project/guarantor/internal/attribution"
	"github.com/guarantor-project/guarantor/internal/incident"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/rules"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/tracks"
)

// fusionBatch is how many stored observations the fusion loop reads at once.
const fusionBatch = 1000

// errRebuild ends a fusion run whose sensors or terms changed.
var errRebuild = errors.New("the sensors or terms changed")

// fusionSignals connects the API to the fusion loop: new observations wake
// it, a changed registry or new terms make it start over, and stored
// incidents wake the streams.
type fusionSignals struct {
	wake    chan struct{} // buffered: observations were stored
	rebuild chan struct{} // buffered: sensors or terms changed
	changed chan struct{} // closed and replaced when incidents are stored
}

func newFusionSignals() *fusionSignals {
	return &fusionSignals{wake: make(chan struct{}, 1), rebuild: make(chan struct{}, 1), changed: make(chan struct{})}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// incidentsChanged returns a channel closed the next time incidents are stored.
func (s *Server) incidentsChanged() <-chan struct{} {
	s.fusionMu.Lock()
	defer s.fusionMu.Unlock()
	return s.fusion.changed
}

func (s *Server) notifyIncidents() {
	s.fusionMu.Lock()
	defer s.fusionMu.Unlock()
	close(s.fusion.changed)
	s.fusion.changed = make(chan struct{})
}

// RunFusion turns stored observations into incidents until ctx ends: it
// replays every observation stored, in arrival order, through an incident
// engine, then follows new ones as they are stored, and stores every
// incident created or changed. The engine is pure, so a replay gives the
// incidents the live run gave; a new sensor registry or new terms start the
// replay over, so that every incident is located and attributed with what
// is known now. A failing store is retried after a pause.
func (s *Server) RunFusion(ctx context.Context, cfg incident.Config) {
	for ctx.Err() == nil {
		err := s.fuse(ctx, cfg)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errRebuild):
			s.log.Info("fusion starts over", "reason", err)
			continue
		}
		s.log.Error("fusion stopped; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// fuse is one run of the fusion loop, from the first stored observation.
func (s *Server) fuse(ctx context.Context, cfg incident.Config) error {
	select { // what was asked before this run started is in it
	case <-s.fusion.rebuild:
	default:
	}
	f, err := s.newFuser(ctx, cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := f.catchUp(ctx); err != nil {
		return err
	}
	s.log.Info("fusion caught up", "observations", f.count, "duration", time.Since(start).Round(time.Millisecond).String())
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.fusion.rebuild:
			return errRebuild
		case <-s.fusion.wake:
		case <-tick.C:
		}
		if err := f.catchUp(ctx); err != nil {
			return err
		}
	}
}

// fuser follows the stored observations with an incident engine.
//
// What the engine reports during a catch-up is kept, and at its end the
// last state of each incident changed is written if it differs from the
// stored one. The first catch-up replays everything stored, and an incident
// changes many times on the way to the state a previous run stored: a
// restart writes nothing, and new terms or sensors rewrite exactly what
// they change. Later catch-ups write once for all they took.
type fuser struct {
	s       *Server
	eng     *incident.Engine
	after   int64 // the last observation taken
	count   int64 // observations taken
	pending map[string]incident.Incident
	order   []string        // pending ids, in the order they first changed
	unassoc map[string]bool // detection id → left unassociated (true) or placed in an event
	written map[string]writtenIncident
	rules   map[incident.TermsRef]rulesContext // by terms version
	terms   []store.TermsVersion
	// tracks holds the points of the radar and drone tracks seen in the
	// last TrackMemory of the engine's clock, by track; touched are those
	// a catch-up added points to.
	tracks  map[string][]observe.Observation
	touched map[string]bool
	recent  recentCandidates
}

// TrackMemory is how long after its last point a track's points are kept
// to find where it crosses the contact line.
const TrackMemory = time.Hour

// rulesContext is what the rules need for one version of the terms.
type rulesContext struct {
	set *rules.Set
	ctx rules.Context
}

// newFuser builds an engine for the sensors and terms stored now.
func (s *Server) newFuser(ctx context.Context, cfg incident.Config) (*fuser, error) {
	sensors, err := s.cfg.Store.ListSensors(ctx)
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	versions, err := s.cfg.Store.ListTerms(ctx)
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	cfg.Sensors, cfg.Scheme, cfg.Terms = sensors, s.cfg.Scheme, nil
	byVersion := map[incident.TermsRef]rulesContext{}
	for _, v := range versions {
		cfg.Terms = append(cfg.Terms, v.Terms)
		rc, err := newRulesContext(v.Terms)
		if err != nil {
			return nil, fmt.Errorf("fusion: %w", err)
		}
		byVersion[incident.TermsRef{ID: v.Terms.ID, Version: v.Terms.Version}] = rc
	}
	eng, err := incident.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("fusion: %w", err)
	}
	return &fuser{s: s, eng: eng, pending: map[string]incident.Incident{}, unassoc: map[string]bool{},
		written: map[string]writtenIncident{}, rules: byVersion, terms: versions,
		tracks: map[string][]observe.Observation{}, touched: map[string]bool{}, recent: recentCandidates{}}, nil
}

// newRulesContext compiles the rules of one version of the terms.
func newRulesContext(t terms.Terms) (rulesContext, error) {
	set, err := rules.Compile(t)
	if err != nil {
		return rulesContext{}, err
	}
	ag, err := terms.Compile(t)
	if err != nil {
		return rulesContext{}, err
	}
	at, err := attribution.New(ag, attribution.Config{})
	if err != nil {
		return rulesContext{}, err
	}
	return rulesContext{set: set, ctx: rules.Context{Agreement: ag, Attributor: at}}, nil
}

// catchUp takes every observation stored since the last call, then tells
// the engine the time, storing the incidents that changed.
func (f *fuser) catchUp(ctx context.Context) error {
	s := f.s
	for {
		batch, err := s.cfg.Store.ObservationsSince(ctx, f.after, fusionBatch)
		if err != nil {
			return fmt.Errorf("fusion: %w", err)
		}
		for _, so := range batch {
			f.after = so.Seq
			f.count++
			o, errs := observe.Decode(so.Feature, observe.Checks{Scheme: s.cfg.Scheme})
			if len(errs) > 0 {
				s.log.Error("fusion: a stored observation does not decode", "seq", so.Seq, "err", errs[0])
				continue
			}
			if o.Kind == observe.KindTrack && o.Track != nil {
				key := o.Source.ID + "/" + o.Track.TrackID
				f.tracks[key] = append(f.tracks[key], o)
				f.touched[key] = true
			}
			out, err := f.eng.Add(so.ReceivedAt, o)
			if err != nil {
				s.log.Warn("fusion: observation not fused", "id", o.ID, "err", err)
			}
			f.keep(out)
		}
		if len(batch) < fusionBatch {
			break
		}
	}
	f.keep(f.eng.Advance(s.now()))
	return f.flush(ctx)
}

// keep keeps what the engine reported until the catch-up ends.
func (f *fuser) keep(out incident.Output) {
	for _, id := range out.Unassociated {
		f.unassoc[id] = true
	}
	for _, id := range associated(out) {
		f.unassoc[id] = false
	}
	for _, p := range out.Problems {
		f.s.log.Error("fusion: incident not reported", "err", p)
	}
	for _, in := range out.Incidents {
		if _, ok := f.pending[in.ID]; !ok {
			f.order = append(f.order, in.ID)
		}
		f.pending[in.ID] = in
	}
}

// flush writes what the catch-up kept: the unassociated detections, and
// the last state of each incident that changed.
func (f *fuser) flush(ctx context.Context) error {
	var add, remove []string
	for id, un := range f.unassoc {
		if un {
			add = append(add, id)
		} else {
			remove = append(remove, id)
		}
	}
	if err := f.s.cfg.Store.SetUnassociated(ctx, add, remove); err != nil {
		return fmt.Errorf("fusion: %w", err)
	}
	incidents := make([]incident.Incident, len(f.order))
	for i, id := range f.order {
		incidents[i] = f.pending[id]
	}
	clear(f.unassoc)
	clear(f.pending)
	f.order = f.order[:0]
	if err := f.writeIncidents(ctx, incidents); err != nil {
		return err
	}
	return f.writeCrossings(ctx)
}

// writeCrossings finds where the tracks a catch-up added points to cross
// the contact line, stores the candidates, and forgets the tracks with no
// point in the last TrackMemory.
func (f *fuser) writeCrossings(ctx context.Context) error {
	var recs []store.CandidateRecord
	for key := range f.touched {
		for _, tr := range tracks.Assemble(f.tracks[key], f.s.cfg.Scheme) {
			v, ok := store.InForce(f.terms, tr.Points[0].Time)
			if !ok {
				continue
			}
			rc, ok := f.rules[incident.TermsRef{ID: v.Terms.ID, Version: v.Terms.Version}]
			if !ok {
				continue
			}
			for _, c := range tracks.Crossings(rc.ctx.Agreement, tr, tracks.Config{}) {
				cand, ok := rc.set.Crossing(tr, c)
				if !ok {
					continue
				}
				feature, err := cand.MarshalJSON()
				if err != nil {
					f.s.log.Error("fusion: candidate not stored", "id", cand.ID, "err", err)
					continue
				}
				recs = append(recs, store.CandidateRecord{ID: cand.ID, Type: cand.Type, Party: cand.Party, Severity: string(cand.Severity),
					Incident: cand.Incident, Time: cand.Time, Label: cand.Label, Feature: feature})
			}
		}
	}
	clear(f.touched)
	for key, points := range f.tracks {
		if points[len(points)-1].ObservedAt.Before(f.eng.Clock().Add(-TrackMemory)) {
			delete(f.tracks, key)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	if err := f.s.cfg.Store.PutCandidates(ctx, nil, recs); err != nil {
		return fmt.Errorf("fusion: %w", err)
	}
	f.s.notifyIncidents()
	return nil
}

// associated lists the detections the output's acoustic events hold.
func associated(out incident.Output) []string {
	var ids []string
	for _, a := range out.Acoustic {
		ids = append(ids, a.Detections...)
	}
	return ids
}

// writeIncidents stores incidents the engine reported. The engine numbers the
// versions of one run; the store's numbers go on across runs and restarts:
// an incident is written with the stored version plus one, and only when
// what a reader sees changed. What this run wrote is remembered (its
// version and a hash of its Feature), so that the store is read only for
// an incident this run has not written yet.
func (f *fuser) writeIncidents(ctx context.Context, incidents []incident.Incident) error {
	s := f.s
	if len(incidents) == 0 {
		return nil
	}
	recs := make([]store.IncidentRecord, 0, len(incidents))
	sums := make([][sha256.Size]byte, 0, len(incidents))
	var written []incident.Incident
	for _, in := range incidents {
		prev, known := f.written[in.ID]
		if !known {
			stored, err := s.cfg.Store.Incident(ctx, in.ID, nil)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return fmt.Errorf("fusion: %w", err)
			default:
				prev, known = writtenIncident{version: stored.Version, sum: sha256.Sum256(stored.Feature)}, true
			}
		}
		in.Version = 1
		if known {
			in.Version = prev.version
			if b, err := in.MarshalJSON(); err == nil && sha256.Sum256(b) == prev.sum {
				continue
			}
			in.Version++
		}
		rec, err := incidentRecord(in)
		if err != nil {
			s.log.Error("fusion: incident not stored", "id", in.ID, "err", err)
			continue
		}
		recs = append(recs, rec)
		written = append(written, in)
		sums = append(sums, sha256.Sum256(rec.Feature))
	}
	if len(recs) == 0 {
		return nil
	}
	if err := s.cfg.Store.PutIncidents(ctx, recs); err != nil {
		return fmt.Errorf("fusion: %w", err)
	}
	for i, rec := range recs {
		f.written[rec.ID] = writtenIncident{version: rec.Version, sum: sums[i]}
	}
	if err := f.writeCandidates(ctx, written); err != nil {
		return err
	}
	s.notifyIncidents()
	return nil
}

// writeCandidates applies the rules of the terms each incident was
// attributed under, and stores the candidate violations they find. The
// candidates the rules found in an incident before and no longer find
// (the incident was merged, or its evidence changed) are withdrawn.
func (f *fuser) writeCandidates(ctx context.Context, incidents []incident.Incident) error {
	var recs []store.CandidateRecord
	ids := make([]string, len(incidents))
	for i, in := range incidents {
		ids[i] = in.ID
		if in.Terms == nil {
			continue
		}
		rc, ok := f.rules[*in.Terms]
		if !ok {
			continue
		}
		rctx := rc.ctx
		rctx.Recent = f.recent.count
		cands, err := rc.set.Evaluate(in, rctx)
		if err != nil {
			f.s.log.Warn("fusion: a rule failed", "incident", in.ID, "err", err)
		}
		for _, c := range cands {
			feature, err := c.MarshalJSON()
			if err != nil {
				f.s.log.Error("fusion: candidate not stored", "id", c.ID, "err", err)
				continue
			}
			f.recent.add(c)
			recs = append(recs, store.CandidateRecord{ID: c.ID, Type: c.Type, Party: c.Party, Severity: string(c.Severity),
				Incident: c.Incident, Time: c.Time, Label: c.Label, Feature: feature})
		}
	}
	f.recent.forget(f.eng.Clock().Add(-2 * rules.RepeatedWindow))
	if err := f.s.cfg.Store.PutCandidates(ctx, ids, recs); err != nil {
		return fmt.Errorf("fusion: %w", err)
	}
	return nil
}

// recentCandidates remembers when the attributed candidates of each type
// and party happened, for the rules' count of repeated events
// (rules.Context.Recent).
type recentCandidates map[[2]string]map[string]time.Time

// add remembers an attributed candidate.
func (r recentCandidates) add(c rules.Candidate) {
	if c.Party == "" {
		return
	}
	key := [2]string{c.Type, c.Party}
	if r[key] == nil {
		r[key] = map[string]time.Time{}
	}
	r[key][c.ID] = c.Time
}

// count counts the candidates of a type attributed to a party in the
// window before at.
func (r recentCandidates) count(typ, party string, at time.Time) int {
	n := 0
	for _, t := range r[[2]string{typ, party}] {
		if t.Before(at) && !t.Before(at.Add(-rules.RepeatedWindow)) {
			n++
		}
	}
	return n
}

// forget forgets the candidates that happened before t.
func (r recentCandidates) forget(t time.Time) {
	for key, byID := range r {
		maps.DeleteFunc(byID, func(_ string, at time.Time) bool { return at.Before(t) })
		if len(byID) == 0 {
			delete(r, key)
		}
	}
}

// writtenIncident is what a fuser remembers of an incident it stored.
type writtenIncident struct {
	version int
	sum     [sha256.Size]byte
}

// incidentRecord is what the store keeps of an incident.
func incidentRecord(in incident.Incident) (store.IncidentRecord, error) {
	feature, err := in.MarshalJSON()
	if err != nil {
		return store.IncidentRecord{}, err
	}
	rec := store.IncidentRecord{
		ID: in.ID, Version: in.Version, MergedInto: in.MergedInto, Label: in.Label, Feature: feature,
		Class: string(in.Class), Start: in.Start, End: in.End,
	}
	if in.MergedInto != "" {
		return rec, nil // found by id only
	}
	rec.BBox = in.BBox()
	rec.Party, rec.Confidence, rec.Observations = in.Attribution.Party, string(in.Confidence.Level), in.Observations()
	return rec, nil
}
