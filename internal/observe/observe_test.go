package observe

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
)

func validAcoustic() Observation {
	temp := 4.5
	return Observation{
		ID: "as-1", Kind: KindAcoustic,
		Source:     Source{ID: "AS-017", Type: SourceAcoustic, Grading: "A2"},
		ObservedAt: time.Date(2026, 11, 21, 3, 14, 7, 123456789, time.UTC), TimeUncertainty: 5 * time.Millisecond,
		Location: Point{Lon: 37.7, Lat: 48.05}, LocationUncertaintyM: 3,
		Releasability: label.Label{Classification: label.Restricted, RelTo: []string{"FRA", "GBR"}},
		Acoustic:      &Acoustic{SensorID: "AS-017", SignalClass: SignalLaunch, TemperatureC: &temp},
	}
}

func TestRoundTrip(t *testing.T) {
	alt := 180.0
	withAlt := validAcoustic()
	withAlt.Location.Alt = &alt
	report := validAcoustic()
	report.Kind, report.Acoustic = KindReport, nil
	report.Report = &Report{Means: MeansPatrolSaw, EventType: EventBurst, Count: 2, Observer: &[2]float64{37, 48},
		Casualties: &Casualties{Killed: n(0), Wounded: n(3), Civilian: true}}
	osint := validAcoustic()
	osint.Kind, osint.Acoustic = KindOSINT, nil
	osint.OSINT = &OSINT{URL: "https://news.example.org/a", Claim: "Two soldiers were killed.", Casualties: &Casualties{Killed: n(2)}}
	tests := []struct {
		name string
		o    Observation
	}{
		{"acoustic with altitude", withAlt},
		{"report with casualties", report},
		{"osint with casualties", osint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Marshal(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			back, errs := Decode(b, Checks{})
			if len(errs) > 0 {
				t.Fatalf("decode own output: %v", errs)
			}
			if !reflect.DeepEqual(back, tc.o) {
				t.Errorf("round trip changed the observation:\n got %+v\nwant %+v", back, tc.o)
			}
			b2, _ := Marshal(back)
			if string(b) != string(b2) {
				t.Errorf("canonical bytes differ after a round trip:\n%s\n%s", b, b2)
			}
		})
	}
}

func f(v float64) *float64 { return &v }

func n(v int) *int { return &v }

func TestCheck(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	checks := Checks{Now: now, MaxFuture: 5 * time.Minute, WeaponClasses: []string{"mlrs"}}
	tests := []struct {
		name   string
		mutate func(o *Observation)
		field  string // "" means valid
	}{
		{"valid", func(o *Observation) {}, ""},
		{"empty id", func(o *Observation) { o.ID = "" }, "id"},
		{"long id", func(o *Observation) { o.ID = strings.Repeat("x", MaxIDLen+1) }, "id"},
		{"control character in id", func(o *Observation) { o.ID = "a\nb" }, "id"},
		{"longitude", func(o *Observation) { o.Location.Lon = 180.5 }, "geometry.coordinates"},
		{"latitude", func(o *Observation) { o.Location.Lat = -90.1 }, "geometry.coordinates"},
		{"zero location uncertainty", func(o *Observation) { o.LocationUncertaintyM = 0 }, "properties.location_uncertainty_m"},
		{"future", func(o *Observation) { o.ObservedAt = now.Add(6 * time.Minute) }, "properties.observed_at"},
		{"within clock skew", func(o *Observation) { o.ObservedAt = now.Add(4 * time.Minute) }, ""},
		{"ancient", func(o *Observation) { o.ObservedAt = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) }, "properties.observed_at"},
		{"grading", func(o *Observation) { o.Source.Grading = "G1" }, "properties.source.grading"},
		{"grading credibility", func(o *Observation) { o.Source.Grading = "A7" }, "properties.source.grading"},
		{"source type", func(o *Observation) { o.Source.Type = "rumour" }, "properties.source.type"},
		{"source id", func(o *Observation) { o.Source.ID = "" }, "properties.source.id"},
		{"public with nations", func(o *Observation) {
			o.Releasability = label.Label{Classification: label.Public, RelTo: []string{"FRA"}}
		}, "properties.releasability.rel_to"},
		{"bad nation", func(o *Observation) { o.Releasability.RelTo = []string{"fr"} }, "properties.releasability.rel_to[0]"},
		{"unknown classification", func(o *Observation) { o.Releasability.Classification = "TOP" }, "properties.releasability.classification"},
		{"unknown kind", func(o *Observation) { o.Kind = "rumour" }, "properties.kind"},
		{"missing kind part", func(o *Observation) { o.Acoustic = nil }, "properties.acoustic"},
		{"two kind parts", func(o *Observation) { o.OSINT = &OSINT{URL: "https://x.org", Claim: "c"} }, "properties.osint"},
		{"sensor id", func(o *Observation) { o.Acoustic.SensorID = "" }, "properties.acoustic.sensor_id"},
		{"signal class", func(o *Observation) { o.Acoustic.SignalClass = "bang" }, "properties.acoustic.signal_class"},
		{"report", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolHeard, EventType: EventShot, Count: 1, Observer: &[2]float64{37, 48}, WeaponClass: "mlrs"}
		}, ""},
		{"report weapon class", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolHeard, EventType: EventShot, Count: 1, Observer: &[2]float64{37, 48}, WeaponClass: "trebuchet"}
		}, "properties.report.weapon_class"},
		{"report distance band", func(o *Observation) {
			lo, hi := 5000.0, 3000.0
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolHeard, EventType: EventShot, Count: 1, Observer: &[2]float64{37, 48}, DistanceMinM: &lo, DistanceMaxM: &hi}
		}, "properties.report.distance_max_m"},
		{"report count", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansCamera, EventType: EventBurst, Count: 0, Observer: &[2]float64{37, 48}}
		}, "properties.report.count"},
		{"track heading", func(o *Observation) {
			o.Kind, o.Acoustic = KindTrack, nil
			o.Track = &Track{TrackID: "t", SpeedMPS: f(30), HeadingDeg: f(360), AltitudeM: f(100)}
		}, "properties.track.heading_deg"},
		{"track without speed", func(o *Observation) {
			o.Kind, o.Acoustic = KindTrack, nil
			o.Track = &Track{TrackID: "t", HeadingDeg: f(10)}
		}, "properties.track.speed_mps"},
		{"track without altitude", func(o *Observation) {
			o.Kind, o.Acoustic = KindTrack, nil
			o.Track = &Track{TrackID: "t", SpeedMPS: f(30), HeadingDeg: f(10)}
		}, ""},
		{"report without observer", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansCamera, EventType: EventBurst, Count: 1}
		}, "properties.report.observer"},
		{"imagery", func(o *Observation) {
			o.Kind, o.Acoustic = KindImagery, nil
			o.Imagery = &Imagery{EquipmentType: "BM-21", WeaponClass: "mlrs", Count: 2}
		}, ""},
		{"osint url", func(o *Observation) {
			o.Kind, o.Acoustic = KindOSINT, nil
			o.OSINT = &OSINT{URL: "javascript:alert(1)", Claim: "x"}
		}, "properties.osint.url"},
		{"report with casualties", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolSaw, EventType: EventBurst, Count: 1, Observer: &[2]float64{37, 48},
				Casualties: &Casualties{Killed: n(1), Wounded: n(4), Civilian: true}}
		}, ""},
		{"report with none killed", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolSaw, EventType: EventBurst, Count: 1, Observer: &[2]float64{37, 48},
				Casualties: &Casualties{Killed: n(0)}}
		}, ""},
		{"report casualties negative", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolSaw, EventType: EventBurst, Count: 1, Observer: &[2]float64{37, 48},
				Casualties: &Casualties{Killed: n(-1)}}
		}, "properties.report.casualties.killed"},
		{"report casualties too many", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolSaw, EventType: EventBurst, Count: 1, Observer: &[2]float64{37, 48},
				Casualties: &Casualties{Wounded: n(MaxCasualties + 1)}}
		}, "properties.report.casualties.wounded"},
		{"report casualties without figures", func(o *Observation) {
			o.Kind, o.Acoustic = KindReport, nil
			o.Report = &Report{Means: MeansPatrolSaw, EventType: EventBurst, Count: 1, Observer: &[2]float64{37, 48},
				Casualties: &Casualties{Civilian: true}}
		}, "properties.report.casualties"},
		{"osint with casualties", func(o *Observation) {
			o.Kind, o.Acoustic = KindOSINT, nil
			o.OSINT = &OSINT{URL: "https://x.org", Claim: "c", Casualties: &Casualties{Wounded: n(2), Civilian: true}}
		}, ""},
		{"osint casualties negative", func(o *Observation) {
			o.Kind, o.Acoustic = KindOSINT, nil
			o.OSINT = &OSINT{URL: "https://x.org", Claim: "c", Casualties: &Casualties{Killed: n(1), Wounded: n(-2)}}
		}, "properties.osint.casualties.wounded"},
		{"osint casualties empty", func(o *Observation) {
			o.Kind, o.Acoustic = KindOSINT, nil
			o.OSINT = &OSINT{URL: "https://x.org", Claim: "c", Casualties: &Casualties{}}
		}, "properties.osint.casualties"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := validAcoustic()
			tc.mutate(&o)
			errs := Check(o, checks)
			if tc.field == "" {
				if len(errs) > 0 {
					t.Fatalf("want valid, got %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Field == tc.field && e.Reason != "" {
					return
				}
			}
			t.Errorf("want an error on %s, got %v", tc.field, errs)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good, _ := Marshal(validAcoustic())
	report := validAcoustic()
	report.Kind, report.Acoustic = KindReport, nil
	report.Report = &Report{Means: MeansCamera, EventType: EventBurst, Count: 3, Observer: &[2]float64{37, 48}}
	okReport, _ := Marshal(report)
	tests := []struct {
		name, body, field string
	}{
		{"not JSON", `{"type":`, "type"},
		{"two values", string(good) + " {}", ""},
		{"wrong type", strings.Replace(string(good), `"location_uncertainty_m":3`, `"location_uncertainty_m":"3"`, 1), "properties.location_uncertainty_m"},
		{"unknown member", strings.Replace(string(good), `"kind":`, `"colour":1,"kind":`, 1), "properties.colour"},
		{"not a feature", strings.Replace(string(good), `"type":"Feature"`, `"type":"Thing"`, 1), "type"},
		{"not a point", strings.Replace(string(good), `"type":"Point"`, `"type":"LineString"`, 1), "geometry.type"},
		{"one coordinate", strings.Replace(string(good), `[37.7,48.05]`, `[37.7]`, 1), "geometry.coordinates"},
		{"bad time", strings.Replace(string(good), `2026-11-21T03:14:07.123456789Z`, `21/11/2026`, 1), "properties.observed_at"},
		{"no properties", `{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[1,2]}}`, "properties"},
		{"number out of range", strings.Replace(string(good), `"location_uncertainty_m":3`, `"location_uncertainty_m":1e400`, 1), "properties.location_uncertainty_m"},
		{"fraction for a count", strings.Replace(string(okReport), `"count":3`, `"count":1.5`, 1), "properties.report.count"},
		{"array for an object", strings.Replace(string(good), `"acoustic":{`, `"acoustic":[{`, 1), "properties.acoustic"},
		{"numeric id", strings.Replace(string(good), `"id":"as-1"`, `"id":42`, 1), ""},
		{"fraction of casualties", strings.Replace(string(okReport), `"count":3`, `"count":3,"casualties":{"killed":1.5}`, 1), "properties.report.casualties.killed"},
		{"casualties as a number", strings.Replace(string(okReport), `"count":3`, `"count":3,"casualties":2`, 1), "properties.report.casualties"},
		{"unknown casualty member", strings.Replace(string(okReport), `"count":3`, `"count":3,"casualties":{"killed":1,"missing":2}`, 1), "properties.report.casualties.missing"},
		{"civilian not a boolean", strings.Replace(string(okReport), `"count":3`, `"count":3,"casualties":{"killed":1,"civilian":"yes"}`, 1), "properties.report.casualties.civilian"},
		{"casualties without figures", strings.Replace(string(okReport), `"count":3`, `"count":3,"casualties":{"civilian":true}`, 1), "properties.report.casualties"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, errs := Decode([]byte(tc.body), Checks{})
			if tc.name == "numeric id" {
				if len(errs) > 0 || o.ID != "42" {
					t.Fatalf("numeric id: %q %v", o.ID, errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatal("want an error")
			}
			for _, e := range errs {
				if e.Field == tc.field && e.Reason != "" {
					return
				}
			}
			t.Errorf("want an error on %q, got %v", tc.field, errs)
		})
	}
}

// FuzzDecode checks that no input makes the decoder panic, and that whatever
// it accepts survives a round trip through its canonical form.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, errs := Decode(data, Checks{})
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Reason == "" {
					t.Fatalf("error without a reason: %+v", e)
				}
			}
			return
		}
		b, err := Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		back, errs := Decode(b, Checks{})
		if len(errs) > 0 {
			t.Fatalf("canonical form of an accepted observation is refused: %v\n%s", errs, b)
		}
		b2, _ := Marshal(back)
		if string(b) != string(b2) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", b, b2)
		}
	})
}
