package trigger

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/guarantor-project/guarantor/internal/label"
)

// Finding is a verified candidate violation, as a clause's condition sees
// it.
type Finding struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Party is the party responsible; empty when not attributable.
	Party string `json:"party,omitempty"`
	// Severity is minor, serious or major.
	Severity string `json:"severity"`
	// Clause is the clause of the terms it breaks.
	Clause string      `json:"clause,omitempty"`
	Region string      `json:"region,omitempty"`
	Time   time.Time   `json:"time"`
	Label  label.Label `json:"releasability"`
}

// The severities of findings, least grave first.
const (
	Minor   = "minor"
	Serious = "serious"
	Major   = "major"
)

// severityRank orders severities: minor < serious < major; -1 for any
// other, which no verified() call counts.
func severityRank(s string) int {
	switch s {
	case Minor:
		return 0
	case Serious:
		return 1
	case Major:
		return 2
	}
	return -1
}

// Proposal is a clause whose condition holds: what the authority is asked
// to determine.
type Proposal struct {
	Clause     string `json:"clause"`
	Instrument string `json:"instrument,omitempty"`
	// Findings are the ids of the findings that satisfy the condition,
	// sorted (Set.Evaluate says which).
	Findings []string `json:"findings"`
	// At is the time of the evaluation.
	At time.Time `json:"at"`
}

// DefaultWindow is how far back the findings of a proposal reach when its
// condition called neither verified() nor verified_type(): such a
// proposal rests on every finding of the 30 days before the evaluation.
const DefaultWindow = 30 * 24 * time.Hour

// Limits of one evaluation of one condition, so that a clause cannot stall
// the evaluation of the others.
//
// The CEL work is bounded before evaluation, from the sizes of the inputs:
// Compile refuses a condition whose estimated cost over MaxFindings
// findings, MaxDeterminations determinations and strings of MaxString
// characters exceeds CostLimit, and Evaluate, given larger inputs,
// estimates each condition again for their sizes and fails those that
// would exceed it. (CEL's runtime cost tracking is not used: it costs time
// in proportion to the length of a comprehension on every short-circuited
// step, which makes a filter over 2,000 findings a hundred times slower.)
const (
	// CostLimit is the most a condition may cost, in CEL's cost units.
	CostLimit = 1_000_000
	// MaxFindings, MaxDeterminations and MaxString are the sizes of the
	// inputs Compile bounds conditions for.
	MaxFindings       = 10_000
	MaxDeterminations = 10_000
	MaxString         = 256
	// ScanLimit bounds the work of the helpers in one condition: the
	// findings in the windows of the distinct calls it makes.
	ScanLimit = 10_000_000
)

// sizes are the sizes of an evaluation's inputs, for the cost estimate.
type sizes struct {
	findings, determinations, strings uint64
}

// compileSizes are the sizes Compile bounds conditions for.
func compileSizes() sizes { return sizes{MaxFindings, MaxDeterminations, MaxString} }

// within reports whether every size of s is at most that of t.
func (s sizes) within(t sizes) bool {
	return s.findings <= t.findings && s.determinations <= t.determinations && s.strings <= t.strings
}

// estimator estimates the cost of conditions for inputs of given sizes.
type estimator struct{ sizes }

// EstimateSize implements checker.CostEstimator.
func (e estimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	p := n.Path()
	switch {
	case len(p) == 1 && p[0] == findingsVariable:
		return &checker.SizeEstimate{Min: 0, Max: e.findings}
	case len(p) == 1 && p[0] == determinedVariable:
		return &checker.SizeEstimate{Min: 0, Max: e.determinations}
	case len(p) == 2 && p[0] == findingsVariable:
		return &checker.SizeEstimate{Min: findingKeys, Max: findingKeys} // a finding
	case len(p) > 0:
		return &checker.SizeEstimate{Min: 0, Max: e.strings}
	}
	return nil
}

// EstimateCallCost implements checker.CostEstimator: a helper call costs
// one unit; ScanLimit bounds its work.
func (e estimator) EstimateCallCost(_, overloadID string, _ *checker.AstNode, _ []checker.AstNode) *checker.CallEstimate {
	switch overloadID {
	case ovVerified, ovVerifiedType:
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: 1}}
	}
	return nil
}

// The helpers' names and overloads.
const (
	fnVerified         = "verified"
	fnVerifiedType     = "verified_type"
	ovVerified         = "verified_string_string_duration"
	ovVerifiedType     = "verified_type_string_string_duration"
	runVariable        = "@trigger_run" // not an identifier CEL can spell
	findingsVariable   = "findings"
	nowVariable        = "now"
	determinedVariable = "determinations"
)

// Set is a compiled set of trigger clauses. It is immutable and safe for
// concurrent use.
type Set struct {
	env     *cel.Env
	clauses []compiled
	adapter types.Adapter
}

type compiled struct {
	clause Clause
	ast    *cel.Ast
	prg    cel.Program
}

// Compile validates and compiles clauses (Clause.Validate). A clause whose
// condition does not compile, does not yield a bool, or may cost more than
// CostLimit, is refused with the CEL error and the clause's id; every bad
// clause is named.
//
// A condition sees three variables: findings, a list of maps with id,
// type, party ("" when not attributable), severity, time (a timestamp),
// clause (of the terms) and region, oldest first; now, the time of the
// evaluation; and determinations, the ids of the clauses whose activations
// the authority confirmed. And two helpers:
//
//	verified(severity string, party string, window duration) int
//	verified_type(type string, party string, window duration) int
//
// count the findings of at least that severity (minor < serious < major),
// or of that type, attributed to party ("" for any party), whose time is
// in (now - window, now].
func Compile(clauses []Clause) (*Set, error) {
	env, err := cel.NewEnv(
		cel.Variable(findingsVariable, cel.ListType(cel.MapType(cel.StringType, cel.DynType))),
		cel.Variable(nowVariable, cel.TimestampType),
		cel.Variable(determinedVariable, cel.ListType(cel.StringType)),
		cel.Function(fnVerified, cel.Overload(ovVerified,
			[]*cel.Type{cel.StringType, cel.StringType, cel.DurationType}, cel.IntType, cel.LateFunctionBinding())),
		cel.Function(fnVerifiedType, cel.Overload(ovVerifiedType,
			[]*cel.Type{cel.StringType, cel.StringType, cel.DurationType}, cel.IntType, cel.LateFunctionBinding())),
	)
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	s := &Set{env: env, adapter: env.CELTypeAdapter()}
	var errs []error
	seen := map[string]bool{}
	for i, c := range clauses {
		if err := c.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[c.ID] {
			errs = append(errs, fmt.Errorf("clause %s: the id is used by an earlier clause (#%d)", c.ID, i+1))
			continue
		}
		seen[c.ID] = true
		ast, iss := env.Compile(c.Condition)
		if iss.Err() != nil {
			errs = append(errs, fmt.Errorf("clause %s: %w", c.ID, iss.Err()))
			continue
		}
		if out := ast.OutputType(); !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
			errs = append(errs, fmt.Errorf("clause %s: the condition yields %s, not bool", c.ID, out))
			continue
		}
		if err := s.withinLimit(ast, compileSizes()); err != nil {
			errs = append(errs, fmt.Errorf("clause %s: %w", c.ID, err))
			continue
		}
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CustomDecoratorV2(bindHelpers))
		if err != nil {
			errs = append(errs, fmt.Errorf("clause %s: %w", c.ID, err))
			continue
		}
		s.clauses = append(s.clauses, compiled{clause: cloneClause(c), ast: ast, prg: prg})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("trigger: %w", errors.Join(errs...))
	}
	return s, nil
}

// withinLimit reports an error when a condition may cost more than
// CostLimit over inputs of the sizes given.
func (s *Set) withinLimit(ast *cel.Ast, sz sizes) error {
	est, err := s.env.EstimateCost(ast, estimator{sz})
	if err != nil {
		return fmt.Errorf("estimating the cost of the condition: %w", err)
	}
	if est.Max > CostLimit {
		return fmt.Errorf("the condition may cost up to %d over %d findings, more than the limit of %d: "+
			"use verified() and verified_type(), or nest no comprehensions over findings", est.Max, sz.findings, CostLimit)
	}
	return nil
}

func cloneClause(c Clause) Clause {
	c.Obligations = slices.Clone(c.Obligations)
	return c
}

// Clauses returns the set's clauses, in the order given to Compile.
func (s *Set) Clauses() []Clause {
	out := make([]Clause, len(s.clauses))
	for i, c := range s.clauses {
		out[i] = cloneClause(c.clause)
	}
	return out
}

// Clause returns the clause with the id.
func (s *Set) Clause(id string) (Clause, bool) {
	for _, c := range s.clauses {
		if c.clause.ID == id {
			return cloneClause(c.clause), true
		}
	}
	return Clause{}, false
}

// Evaluate evaluates every clause over findings at now, determined being
// the ids of the clauses already confirmed, and proposes each clause whose
// condition holds.
//
// A proposal's findings are those its condition's helper calls counted
// (their union; a call short-circuited away counts none). A condition that
// called no helper (one over findings directly, or over determinations)
// rests on every finding whose time is in (now - DefaultWindow, now].
//
// A clause whose condition fails (a key it reads is absent, a helper given
// an unknown severity, a limit reached) proposes nothing and is named in
// the error; the other clauses are still evaluated, and their proposals
// returned with it.
func (s *Set) Evaluate(findings []Finding, now time.Time, determined []string) ([]Proposal, error) {
	ev := newEvaluation(s.adapter, findings, now, determined)
	var out []Proposal
	var errs []error
	large := !ev.sizes.within(compileSizes())
	for _, c := range s.clauses {
		if large {
			if err := s.withinLimit(c.ast, ev.sizes); err != nil {
				errs = append(errs, fmt.Errorf("clause %s: %w", c.clause.ID, err))
				continue
			}
		}
		run := &clauseRun{ev: ev}
		v, _, err := c.prg.Eval(&variables{ev: ev, run: run})
		if err != nil {
			errs = append(errs, fmt.Errorf("clause %s: %w", c.clause.ID, err))
			continue
		}
		holds, ok := v.Value().(bool)
		if !ok {
			errs = append(errs, fmt.Errorf("clause %s: the condition yielded %v, not a bool", c.clause.ID, v.Value()))
			continue
		}
		if !holds {
			continue
		}
		out = append(out, Proposal{Clause: c.clause.ID, Instrument: c.clause.Instrument, Findings: run.findings(), At: now})
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("trigger: evaluation at %s: %w", now.UTC().Format(time.RFC3339), errors.Join(errs...))
	}
	return out, nil
}

// evaluation is what one Evaluate call shares between its clauses: the
// findings oldest first, their CEL values, and the helpers' answers so far.
type evaluation struct {
	findings   []*Finding // oldest first
	now        time.Time
	findingsV  ref.Val
	nowV       ref.Val
	determined ref.Val
	answers    map[question]*answer
	recentIDs  []string // once asked for
	sizes      sizes
}

// question is one helper call: the same question has the same answer
// throughout one evaluation.
type question struct {
	fn     string
	what   string // the severity or the type
	party  string
	window time.Duration
}

// answer is a helper's answer: the findings it counted (indexes into
// evaluation.findings).
type answer struct {
	counted []int
	ids     []string // the ids counted, sorted, once asked for
}

func newEvaluation(adapter types.Adapter, findings []Finding, now time.Time, determined []string) *evaluation {
	fs := make([]*Finding, len(findings))
	for i := range findings {
		fs[i] = &findings[i]
	}
	order := func(a, b *Finding) int { return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.ID, b.ID)) }
	if !slices.IsSortedFunc(fs, order) {
		slices.SortStableFunc(fs, order)
	}
	keys := make([]string, findingKeys)
	for k := range findingKeys {
		keys[k] = keyName(k)
	}
	keyList := types.NewStringList(adapter, keys)
	fvs := make([]findingValue, len(fs))
	vals := make([]ref.Val, len(fs))
	for i, f := range fs {
		fvs[i] = findingValue{f: f, keys: keyList}
		vals[i] = &fvs[i]
	}
	sz := sizes{findings: uint64(len(fs)), determinations: uint64(len(determined))}
	for _, f := range fs {
		sz.strings = max(sz.strings, uint64(max(len(f.ID), len(f.Type), len(f.Party), len(f.Severity), len(f.Clause), len(f.Region))))
	}
	for _, d := range determined {
		sz.strings = max(sz.strings, uint64(len(d)))
	}
	return &evaluation{
		sizes:    sz,
		findings: fs, now: now,
		findingsV:  &findingList{Lister: types.NewRefValList(adapter, vals), vals: fvs},
		nowV:       types.Timestamp{Time: now.UTC()},
		determined: types.NewStringList(adapter, slices.Clone(determined)),
		answers:    map[question]*answer{},
	}
}

// ids returns the ids of the findings an answer counted, sorted; the
// slice is shared and must not be changed.
func (ev *evaluation) ids(a *answer) []string {
	if a.ids == nil {
		a.ids = make([]string, 0, len(a.counted))
		for _, i := range a.counted {
			a.ids = append(a.ids, ev.findings[i].ID)
		}
		slices.Sort(a.ids)
	}
	return a.ids
}

// recent returns the ids of the findings in DefaultWindow before now,
// sorted; the slice is shared and must not be changed.
func (ev *evaluation) recent() []string {
	if ev.recentIDs == nil {
		lo, hi := ev.window(DefaultWindow)
		ev.recentIDs = make([]string, 0, hi-lo)
		for _, f := range ev.findings[lo:hi] {
			ev.recentIDs = append(ev.recentIDs, f.ID)
		}
		slices.Sort(ev.recentIDs)
		ev.recentIDs = slices.Compact(ev.recentIDs)
	}
	return ev.recentIDs
}

// window returns the indexes [lo, hi) of the findings whose time is in
// (now - w, now].
func (ev *evaluation) window(w time.Duration) (lo, hi int) {
	from := ev.now.Add(-w)
	lo, _ = slices.BinarySearchFunc(ev.findings, from, func(f *Finding, t time.Time) int {
		if f.Time.After(t) {
			return 1
		}
		return -1
	})
	hi, _ = slices.BinarySearchFunc(ev.findings, ev.now, func(f *Finding, t time.Time) int {
		if f.Time.After(t) {
			return 1
		}
		return -1
	})
	return lo, max(lo, hi)
}

// ask answers a helper's question.
func (ev *evaluation) ask(q question) *answer {
	if a, ok := ev.answers[q]; ok {
		return a
	}
	lo, hi := ev.window(q.window)
	a := &answer{}
	rank := severityRank(q.what)
	for i := lo; i < hi; i++ {
		f := ev.findings[i]
		if q.party != "" && f.Party != q.party {
			continue
		}
		if (q.fn == fnVerified && severityRank(f.Severity) >= rank) || (q.fn == fnVerifiedType && f.Type == q.what) {
			a.counted = append(a.counted, i)
		}
	}
	ev.answers[q] = a
	return a
}

// clauseRun is the evaluation of one clause's condition: the distinct
// helper answers it used, and the findings they examined.
type clauseRun struct {
	ev       *evaluation
	called   bool
	examined int
	used     []*answer
	seen     map[question]*answer
}

// call runs a helper with its arguments, already evaluated.
func (r *clauseRun) call(id int64, fn string, args []ref.Val) ref.Val {
	what, ok1 := args[0].Value().(string)
	party, ok2 := args[1].Value().(string)
	window, ok3 := args[2].Value().(time.Duration)
	if !ok1 || !ok2 || !ok3 {
		return types.NewErrWithNodeID(id, "%s: arguments of the wrong types", fn)
	}
	switch {
	case window <= 0:
		return types.NewErrWithNodeID(id, "%s: the window must be positive, not %s", fn, window)
	case fn == fnVerified && severityRank(what) < 0:
		return types.NewErrWithNodeID(id, "verified: unknown severity %q (minor, serious or major)", what)
	case fn == fnVerifiedType && what == "":
		return types.NewErrWithNodeID(id, "verified_type: the type is required")
	}
	r.called = true
	q := question{fn: fn, what: what, party: party, window: window}
	if a, ok := r.seen[q]; ok {
		return types.Int(len(a.counted))
	}
	lo, hi := r.ev.window(window)
	if r.examined+(hi-lo) > ScanLimit {
		return types.NewErrWithNodeID(id, "%s: the windows of the helper calls hold more than %d findings in all", fn, ScanLimit)
	}
	r.examined += hi - lo
	a := r.ev.ask(q)
	if r.seen == nil {
		r.seen = map[question]*answer{}
	}
	r.seen[q] = a
	r.used = append(r.used, a)
	return types.Int(len(a.counted))
}

// findings returns the ids a proposal rests on, sorted.
func (r *clauseRun) findings() []string {
	if !r.called {
		return slices.Clone(r.ev.recent())
	}
	var out []string
	for _, a := range r.used {
		out = append(out, r.ev.ids(a)...)
	}
	if len(r.used) > 1 {
		slices.Sort(out)
	}
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// variables is the activation of one clause's evaluation.
type variables struct {
	ev  *evaluation
	run *clauseRun
}

// ResolveName implements interpreter.Activation.
func (v *variables) ResolveName(name string) (any, bool) {
	switch name {
	case findingsVariable:
		return v.ev.findingsV, true
	case nowVariable:
		return v.ev.nowV, true
	case determinedVariable:
		return v.ev.determined, true
	case runVariable:
		return v.run, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *variables) Parent() interpreter.Activation { return nil }

// bindHelpers binds the calls of verified() and verified_type() in a
// program to the evaluation they run in: the helpers' declarations are
// late-bound, and each call finds the clause's run in the activation.
func bindHelpers(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
	call, ok := i.(interpreter.InterpretableCall)
	if !ok {
		return i, nil
	}
	switch call.OverloadID() {
	case ovVerified, ovVerifiedType:
		if len(call.Args()) != 3 {
			return nil, fmt.Errorf("%s: want 3 arguments, not %d", call.Function(), len(call.Args()))
		}
		return &helperCall{InterpretableCall: call}, nil
	}
	return i, nil
}

// helperCall is a call of verified() or verified_type().
type helperCall struct {
	interpreter.InterpretableCall
}

// Eval implements interpreter.Interpretable.
func (h *helperCall) Eval(vars interpreter.Activation) ref.Val {
	return h.Exec(interpreter.AsFrame(vars))
}

// Exec implements interpreter.InterpretableV2.
func (h *helperCall) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	var args [3]ref.Val
	for i, a := range h.Args() {
		v := a.Exec(frame)
		if types.IsUnknownOrError(v) {
			return v
		}
		args[i] = v
	}
	r, _ := frame.ResolveName(runVariable)
	run, ok := r.(*clauseRun)
	if !ok {
		return types.NewErrWithNodeID(h.ID(), "%s: evaluated outside a trigger evaluation", h.Function())
	}
	return run.call(h.ID(), h.Function(), args[:])
}
