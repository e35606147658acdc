package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/store"
)

func TestCopyBack(t *testing.T) {
	start := time.Date(2026, 11, 21, 0, 3, 1, 870435855, time.UTC)
	r := store.IncidentRecord{
		ID: "inc-1", Version: 3, Seq: 77, Class: "fire", Party: "B",
		Start: start, End: start.Add(3 * time.Second),
		Feature: json.RawMessage(`{"type":"Feature","id":"inc-1","properties":{"version":3,"start":"2026-11-21T00:03:01.870435855Z",` +
			`"impact":{"incident":"inc-2","position":[32.1,46.6]},"role":"origin","note":"inc-3"}}`),
	}
	ids := map[string]bool{"inc-1": true, "inc-2": true}
	tests := []struct {
		days      int
		id, start string
	}{
		{1, "inc-1~d1", "2026-11-20T00:03:01.870435855Z"},
		{30, "inc-1~d30", "2026-10-22T00:03:01.870435855Z"},
	}
	for _, tt := range tests {
		c, err := copyBack(r, tt.days, ids)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != tt.id || c.Seq != 0 || c.Version != 3 || c.Party != "B" {
			t.Errorf("day %d: id %q seq %d version %d party %q", tt.days, c.ID, c.Seq, c.Version, c.Party)
		}
		if want := start.AddDate(0, 0, -tt.days); !c.Start.Equal(want) {
			t.Errorf("day %d: start %v, want %v", tt.days, c.Start, want)
		}
		var f struct {
			ID         string `json:"id"`
			Properties struct {
				Start  string `json:"start"`
				Role   string `json:"role"`
				Note   string `json:"note"`
				Impact struct {
					Incident string    `json:"incident"`
					Position []float64 `json:"position"`
				} `json:"impact"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(c.Feature, &f); err != nil {
			t.Fatal(err)
		}
		suffix := tt.id[len("inc-1"):]
		if f.ID != tt.id || f.Properties.Start != tt.start || f.Properties.Impact.Incident != "inc-2"+suffix {
			t.Errorf("day %d: feature id %q start %q impact %q", tt.days, f.ID, f.Properties.Start, f.Properties.Impact.Incident)
		}
		if f.Properties.Role != "origin" || f.Properties.Note != "inc-3" || f.Properties.Impact.Position[0] != 32.1 {
			t.Errorf("day %d: other fields changed: %+v", tt.days, f.Properties)
		}
	}
	if string(r.Feature) == "" || r.ID != "inc-1" {
		t.Error("the original changed")
	}
}
