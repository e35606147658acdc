package fusion

import (
	"math"
	"strings"
)

// Level is how well an incident is supported.
type Level string

// The confidence levels. Verified is set by the analysts' workflow, not by
// fusion.
const (
	SingleSource Level = "single_source" // one independent source
	Corroborated Level = "corroborated"  // two or more independent sources agree
)

// Confidence is how sure fusion is of an incident: its level, the number
// of independent sources, and a score in [0, 1], the probability that at
// least one independent source is right, each source's probability given by
// its Admiralty grading (see GradingProbability).
type Confidence struct {
	Level              Level   `json:"level"`
	IndependentSources int     `json:"independent_sources"`
	Score              float64 `json:"score"`
}

// GradingProbability turns an Admiralty grading — source reliability A–F
// and information credibility 1–6 — into the probability that the
// information is right: the product of the two, each on a scale from
// "completely reliable / confirmed" (0.95) to "unreliable / improbable"
// (0.2). F and 6 ("cannot be judged") count as 0.5, as does a grading that
// does not parse. The numbers are a convention, written down in
// docs/fusion.md, not a measurement.
func GradingProbability(grading string) float64 {
	scale := [6]float64{0.95, 0.85, 0.7, 0.5, 0.2, 0.5}
	if len(grading) != 2 {
		return 0.5
	}
	r, c := strings.IndexByte("ABCDEF", grading[0]), strings.IndexByte("123456", grading[1])
	if r < 0 || c < 0 {
		return 0.5
	}
	return scale[r] * scale[c]
}

// confidenceOf scores the evidence of an incident: within each
// independence group the best-graded evidence speaks for the group (two
// detections by one network are one source), and the groups combine as
// independent witnesses.
func confidenceOf(evidence []Evidence) Confidence {
	best := map[string]float64{}
	for _, e := range evidence {
		best[e.Group] = math.Max(best[e.Group], GradingProbability(e.Grading))
	}
	wrong := 1.0
	for _, p := range best {
		wrong *= 1 - p
	}
	c := Confidence{IndependentSources: len(best), Score: 1 - wrong, Level: SingleSource}
	if len(best) >= 2 {
		c.Level = Corroborated
	}
	return c
}
