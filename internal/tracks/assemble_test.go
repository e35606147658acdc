package tracks

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/geo"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/observe"
)

func TestAssemble(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	p := func(lon float64) geo.LonLat { return geo.LonLat{Lon: lon, Lat: 48} }
	rel := func(c label.Classification, nations ...string) label.Label {
		return label.Label{Classification: c, RelTo: nations}
	}
	with := func(o observe.Observation, f func(*observe.Observation)) observe.Observation {
		o.Track = new(*o.Track)
		f(&o)
		return o
	}
	type pointWant struct {
		id  string
		s   int
		lon float64
	}
	type trackWant struct {
		id       string
		platform observe.Platform
		label    label.Label
		points   []pointWant
	}
	tests := []struct {
		name string
		obs  []observe.Observation
		want []trackWant
	}{
		{
			name: "none",
		},
		{
			name: "one track in order",
			obs: []observe.Observation{
				trackObs("a", "r1", "T1", at(0), p(37)), trackObs("b", "r1", "T1", at(10), p(37.1)),
			},
			want: []trackWant{{"r1/T1", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"a", 0, 37}, {"b", 10, 37.1}}}},
		},
		{
			name: "unordered input",
			obs: []observe.Observation{
				trackObs("c", "r1", "T1", at(20), p(37.2)), trackObs("a", "r1", "T1", at(0), p(37)), trackObs("b", "r1", "T1", at(10), p(37.1)),
			},
			want: []trackWant{{"r1/T1", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"a", 0, 37}, {"b", 10, 37.1}, {"c", 20, 37.2}}}},
		},
		{
			name: "a re-sent id keeps the first",
			obs: []observe.Observation{
				trackObs("a", "r1", "T1", at(0), p(37)), trackObs("b", "r1", "T1", at(10), p(37.1)), trackObs("a", "r1", "T1", at(5), p(36)),
			},
			want: []trackWant{{"r1/T1", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"a", 0, 37}, {"b", 10, 37.1}}}},
		},
		{
			name: "two points at one time keep the smaller id",
			obs: []observe.Observation{
				trackObs("z", "r1", "T1", at(0), p(36)), trackObs("b", "r1", "T1", at(10), p(37.1)), trackObs("y", "r1", "T1", at(0), p(37)),
			},
			want: []trackWant{{"r1/T1", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"y", 0, 37}, {"b", 10, 37.1}}}},
		},
		{
			name: "grouped by source and track id, ordered by first time",
			obs: []observe.Observation{
				trackObs("a", "r1", "T1", at(30), p(37)),
				trackObs("b", "r2", "T1", at(20), p(37)),
				trackObs("c", "r1", "T2", at(20), p(38)),
				trackObs("d", "r1", "T1", at(40), p(37.1)),
				trackObs("e", "r2", "T1", at(10), p(37.1)),
			},
			want: []trackWant{
				{"r2/T1", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"e", 10, 37.1}, {"b", 20, 37}}},
				{"r1/T2", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"c", 20, 38}}},
				{"r1/T1", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"a", 30, 37}, {"d", 40, 37.1}}},
			},
		},
		{
			name: "other kinds and invalid positions are ignored",
			obs: []observe.Observation{
				trackObs("a", "r1", "T1", at(0), p(37)),
				{ID: "rep", Kind: observe.KindReport, ObservedAt: at(5), Location: observe.Point{Lon: 37, Lat: 48}, Report: &observe.Report{}},
				{ID: "nil", Kind: observe.KindTrack, ObservedAt: at(6), Location: observe.Point{Lon: 37, Lat: 48}},
				trackObs("nan", "r1", "T1", at(7), geo.LonLat{Lon: math.NaN(), Lat: 48}),
				trackObs("far", "r1", "T1", at(8), geo.LonLat{Lon: 181, Lat: 48}),
			},
			want: []trackWant{{"r1/T1", observe.PlatformDrone, label.PublicLabel(), []pointWant{{"a", 0, 37}}}},
		},
		{
			name: "the most restrictive label",
			obs: []observe.Observation{
				with(trackObs("a", "r1", "T1", at(0), p(37)), func(o *observe.Observation) { o.Releasability = rel(label.Restricted, "GBR", "FRA") }),
				with(trackObs("b", "r1", "T1", at(10), p(37)), func(o *observe.Observation) { o.Releasability = rel(label.Confidential, "GBR") }),
				trackObs("c", "r1", "T1", at(20), p(37)),
			},
			want: []trackWant{{"r1/T1", observe.PlatformDrone, rel(label.Confidential, "GBR"), []pointWant{{"a", 0, 37}, {"b", 10, 37}, {"c", 20, 37}}}},
		},
		{
			name: "a label the scheme does not know is released to no one",
			obs: []observe.Observation{
				trackObs("a", "r1", "T1", at(0), p(37)),
				with(trackObs("b", "r1", "T1", at(10), p(37)), func(o *observe.Observation) { o.Releasability = rel("TOP SECRET", "GBR") }),
			},
			want: []trackWant{{"r1/T1", observe.PlatformDrone, rel(label.Secret), []pointWant{{"a", 0, 37}, {"b", 10, 37}}}},
		},
		{
			name: "platforms: unknown and empty defer to a named one",
			obs: []observe.Observation{
				with(trackObs("a", "r1", "T1", at(0), p(37)), func(o *observe.Observation) { o.Track.Platform = observe.PlatformUnknown }),
				with(trackObs("b", "r1", "T1", at(10), p(37)), func(o *observe.Observation) { o.Track.Platform = observe.PlatformAircraft }),
				with(trackObs("c", "r1", "T1", at(20), p(37)), func(o *observe.Observation) { o.Track.Platform = "" }),
			},
			want: []trackWant{{"r1/T1", observe.PlatformAircraft, label.PublicLabel(), []pointWant{{"a", 0, 37}, {"b", 10, 37}, {"c", 20, 37}}}},
		},
		{
			name: "platforms: two named ones disagree",
			obs: []observe.Observation{
				with(trackObs("a", "r1", "T1", at(0), p(37)), func(o *observe.Observation) { o.Track.Platform = observe.PlatformAircraft }),
				trackObs("b", "r1", "T1", at(10), p(37)),
			},
			want: []trackWant{{"r1/T1", observe.PlatformUnknown, label.PublicLabel(), []pointWant{{"a", 0, 37}, {"b", 10, 37}}}},
		},
		{
			name: "platforms: none named",
			obs: []observe.Observation{
				with(trackObs("a", "r1", "T1", at(0), p(37)), func(o *observe.Observation) { o.Track.Platform = "" }),
			},
			want: []trackWant{{"r1/T1", observe.PlatformUnknown, label.PublicLabel(), []pointWant{{"a", 0, 37}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Assemble(tt.obs, label.Scheme{})
			if len(got) != len(tt.want) {
				t.Fatalf("got %d tracks, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				tr := got[i]
				if tr.ID != w.id || tr.Source+"/"+tr.TrackID != w.id {
					t.Errorf("track %d: ID %q (source %q, track %q), want %q", i, tr.ID, tr.Source, tr.TrackID, w.id)
				}
				if tr.Platform != w.platform {
					t.Errorf("track %d: Platform = %q, want %q", i, tr.Platform, w.platform)
				}
				if !reflect.DeepEqual(tr.Label, w.label) {
					t.Errorf("track %d: Label = %v, want %v", i, tr.Label, w.label)
				}
				var pts []pointWant
				for _, p := range tr.Points {
					pts = append(pts, pointWant{p.Observation, int(p.Time.Sub(t0) / time.Second), p.Position.Lon})
				}
				if !slices.Equal(pts, w.points) {
					t.Errorf("track %d: points %v, want %v", i, pts, w.points)
				}
			}
		})
	}
}

// TestAssemblePoint checks what a point carries over from its observation,
// and that it shares no memory with it.
func TestAssemblePoint(t *testing.T) {
	o := trackObs("a", "r1", "T1", t0, geo.LonLat{Lon: 37, Lat: 48})
	o.LocationUncertaintyM = 35
	o.Releasability = label.Label{Classification: label.Restricted, RelTo: []string{"GBR", "FRA"}}
	o.Track.AltitudeM = new(1200.0)
	o.Location.Alt = new(1250.0)
	only := o
	only.ID, only.ObservedAt, only.Track = "b", t0.Add(time.Second), &observe.Track{TrackID: "T1"}

	got := Assemble([]observe.Observation{o, only}, label.Scheme{})[0].Points
	want := []Point{
		{Time: t0, Position: geo.LonLat{Lon: 37, Lat: 48}, AltitudeM: new(1200.0), UncertaintyM: 35, Observation: "a",
			Label: label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}},
		{Time: t0.Add(time.Second), Position: geo.LonLat{Lon: 37, Lat: 48}, AltitudeM: new(1250.0), UncertaintyM: 35, Observation: "b",
			Label: label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("points %+v, want %+v", got, want)
	}
	if got[0].AltitudeM == o.Track.AltitudeM || got[1].AltitudeM == o.Location.Alt || &got[0].Label.RelTo[0] == &o.Releasability.RelTo[0] {
		t.Error("a point shares memory with its observation")
	}
}

// TestAssembleOrder checks that the order of the observations does not
// change the tracks, duplicates included.
func TestAssembleOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var obs []observe.Observation
	for i := range 200 {
		src, track := []string{"r1", "r2"}[rng.IntN(2)], []string{"T1", "T2", "T3"}[rng.IntN(3)]
		at := t0.Add(time.Duration(rng.IntN(60)) * time.Second) // many share a time
		obs = append(obs, trackObs("o"+string(rune('A'+i%26))+string(rune('a'+i/26)), src, track, at, geo.LonLat{Lon: 37 + rng.Float64(), Lat: 48}))
	}
	want := Assemble(obs, label.Scheme{})
	for range 20 {
		rng.Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] })
		if got := Assemble(obs, label.Scheme{}); !reflect.DeepEqual(got, want) {
			t.Fatal("the tracks depend on the order of the observations")
		}
	}
	for _, tr := range want {
		for i := 1; i < len(tr.Points); i++ {
			if !tr.Points[i-1].Time.Before(tr.Points[i].Time) {
				t.Fatalf("track %s: point %d at %v is not after point %d at %v", tr.ID, i, tr.Points[i].Time, i-1, tr.Points[i-1].Time)
			}
		}
	}
}
