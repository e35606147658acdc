package rules

import (
	"encoding/json"
	"math"
	"time"

	"github.com/guarantor-project/guarantor/internal/fusion"
	"github.com/guarantor-project/guarantor/internal/label"
)

type (
	candidateJSON struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Geometry   pointJSON      `json:"geometry"`
		Properties candidateProps `json:"properties"`
	}
	pointJSON struct {
		Type        string     `json:"type"`
		Coordinates [2]float64 `json:"coordinates"`
	}
	candidateProps struct {
		Type            string            `json:"violation_type"`
		Rule            string            `json:"rule"`
		Clause          string            `json:"clause,omitempty"`
		Party           *string           `json:"party"`
		Probability     float64           `json:"probability"`
		Severity        Severity          `json:"severity"`
		Incident        string            `json:"incident"`
		IncidentVersion int               `json:"incident_version"`
		Time            time.Time         `json:"time"`
		WeaponClass     string            `json:"weapon_class,omitempty"`
		DistanceM       float64           `json:"distance_m,omitempty"`
		WithdrawalM     float64           `json:"withdrawal_m,omitempty"`
		DepthM          float64           `json:"depth_m,omitempty"`
		Casualties      *casualtiesJSON   `json:"casualties,omitempty"`
		Confidence      fusion.Confidence `json:"confidence"`
		Label           label.Label       `json:"releasability"`
		Reason          string            `json:"reason"`
		Observations    []string          `json:"observations"`
	}
	casualtiesJSON struct {
		Killed   *int `json:"killed,omitempty"`
		Wounded  *int `json:"wounded,omitempty"`
		Civilian bool `json:"civilian,omitempty"`
	}
)

// MarshalJSON encodes the candidate as a GeoJSON Feature at its position,
// rounded as incidents are. The same candidate always gives the same bytes.
func (c Candidate) MarshalJSON() ([]byte, error) {
	r := func(x float64, d int) float64 { s := math.Pow(10, float64(d)); return math.Round(x*s) / s }
	p := candidateProps{
		Type: c.Type, Rule: c.Rule, Clause: c.Clause, Probability: r(c.Probability, 4), Severity: c.Severity,
		Incident: c.Incident, IncidentVersion: c.IncidentVersion, Time: c.Time.UTC(), WeaponClass: c.WeaponClass,
		DistanceM: r(c.DistanceM, 1), WithdrawalM: c.WithdrawalM, DepthM: r(c.DepthM, 1),
		Confidence: c.Confidence, Label: c.Label, Reason: c.Reason, Observations: c.Observations,
	}
	p.Confidence.Score = r(p.Confidence.Score, 4)
	if cs := c.Casualties; cs != nil {
		p.Casualties = &casualtiesJSON{Killed: cs.Killed, Wounded: cs.Wounded, Civilian: cs.Civilian}
	}
	if c.Party != "" {
		p.Party = &c.Party
	}
	if p.Observations == nil {
		p.Observations = []string{}
	}
	return json.Marshal(candidateJSON{Type: "Feature", ID: c.ID,
		Geometry:   pointJSON{Type: "Point", Coordinates: [2]float64{r(c.Position.Lon, 7), r(c.Position.Lat, 7)}},
		Properties: p})
}
