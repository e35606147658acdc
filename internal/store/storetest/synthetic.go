package storetest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
)

// SyntheticSpacing is the time between consecutive synthetic observations:
// five million of them span about a day.
const SyntheticSpacing = 17 * time.Millisecond

// SyntheticStart is the time of the first synthetic observation.
var SyntheticStart = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// Synthetic makes n realistic observations, numbered from first, spread over eastern
// Ukraine and a day, in time order with some jitter, of all kinds.
func Synthetic(seed uint64, first, n int) []observe.Observation {
	rng := rand.New(rand.NewPCG(seed, uint64(first)))
	out := make([]observe.Observation, n)
	for i := range out {
		k := first + i
		o := observe.Observation{
			ID:                   fmt.Sprintf("bench-%d-%09d", seed, k),
			Kind:                 observe.KindAcoustic,
			Source:               observe.Source{ID: fmt.Sprintf("AS-%03d", rng.IntN(300)), Type: observe.SourceAcoustic, Grading: "A2"},
			ObservedAt:           SyntheticStart.Add(time.Duration(k)*SyntheticSpacing + time.Duration(rng.Int64N(int64(30*time.Second)))),
			TimeUncertainty:      5 * time.Millisecond,
			Location:             observe.Point{Lon: 32 + rng.Float64()*6.5, Lat: 46.3 + rng.Float64()*4},
			LocationUncertaintyM: 3,
			Releasability:        label.PublicLabel(),
		}
		switch k % 10 {
		case 0:
			bearing, lo, hi := rng.Float64()*359, 3000.0, 5000.0
			o.Kind, o.Source = observe.KindReport, observe.Source{ID: fmt.Sprintf("SMM-PATROL-%02d", rng.IntN(40)), Type: observe.SourceMonitor, Grading: "B2"}
			o.LocationUncertaintyM = 1500
			o.Report = &observe.Report{Means: observe.MeansPatrolHeard, EventType: observe.EventUndeterminedExplosion, Count: 1 + rng.IntN(9), CountApproximate: true,
				BearingDeg: &bearing, DistanceMinM: &lo, DistanceMaxM: &hi, Observer: &[2]float64{o.Location.Lon + 0.02, o.Location.Lat + 0.02},
				Text: "Heard undetermined explosions to the south-east."}
		default:
			temp := 4.5
			o.Releasability = label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR", "UKR"}}
			o.Acoustic = &observe.Acoustic{SensorID: o.Source.ID, SignalClass: observe.SignalLaunch, TemperatureC: &temp}
		}
		out[i] = o
	}
	return out
}
