package guarantee

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for the zero Date; "error" for an error
	}{
		{"", ""},
		{"2024-01-12", "2024-01-12"},
		{"2024-02-29", "2024-02-29"},
		{"0001-01-01", "0001-01-01"},
		{"9999-12-31", "9999-12-31"},
		{"0000-01-01", "error"},
		{"2023-02-29", "error"},
		{"2024-13-01", "error"},
		{"2024-1-12", "error"},
		{"12/01/2024", "error"},
		{" 2024-01-12", "error"},
		{"2024-01-12T00:00:00Z", "error"},
		{"+2024-01-12", "error"},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		switch {
		case tt.want == "error":
			if err == nil {
				t.Errorf("ParseDate(%q) = %v, want an error", tt.in, d)
			}
		case err != nil:
			t.Errorf("ParseDate(%q): %v", tt.in, err)
		case d.String() != tt.want:
			t.Errorf("ParseDate(%q) = %q, want %q", tt.in, d, tt.want)
		}
	}
}

func TestDate(t *testing.T) {
	d := NewDate(2024, time.January, 32)
	if d.String() != "2024-02-01" {
		t.Errorf("NewDate(2024, 1, 32) = %s, want 2024-02-01", d)
	}
	if got := d.Time(); !got.Equal(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("Time() = %v", got)
	}
	if !NewDate(0, 12, 31).IsZero() || !NewDate(10000, 1, 1).IsZero() {
		t.Error("dates outside the years 1 to 9999 are not zero")
	}
	if (Date{}).String() != "" || !(Date{}).Time().IsZero() || !(Date{}).Month().IsZero() {
		t.Error("the zero Date is not absent")
	}
	east := time.FixedZone("UTC+3", 3*3600)
	if got := DateOf(time.Date(2024, 3, 1, 1, 0, 0, 0, east)); got.String() != "2024-03-01" {
		t.Errorf("DateOf keeps the date in t's location: got %s", got)
	}
	a, b := NewDate(2024, 1, 1), NewDate(2024, 1, 2)
	if !a.Before(b) || !b.After(a) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 || !(Date{}).Before(a) {
		t.Error("ordering is wrong")
	}
	for d := NewDate(2023, 12, 25); d.Before(NewDate(2024, 3, 5)); d = DateOf(d.Time().AddDate(0, 0, 1)) {
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("%s does not read back: %v %v", d, back, err)
		}
	}
}

func TestMonth(t *testing.T) {
	m := NewMonth(2024, 13)
	if m.String() != "2025-01" || m.Year() != 2025 || m.Month() != time.January {
		t.Errorf("NewMonth(2024, 13) = %s", m)
	}
	if got := m.Add(-1); got.String() != "2024-12" {
		t.Errorf("Add(-1) = %s", got)
	}
	if got := NewMonth(2024, 2).Last(); got.String() != "2024-02-29" {
		t.Errorf("Last = %s", got)
	}
	if got := NewMonth(2024, 2).First(); got.String() != "2024-02-01" {
		t.Errorf("First = %s", got)
	}
	if got := NewDate(2024, 7, 31).Month(); got != NewMonth(2024, 7) {
		t.Errorf("Date.Month = %s", got)
	}
	for _, s := range []string{"2024-3", "2024-13", "24-03", "2024-03-01", "0000-01"} {
		if _, err := ParseMonth(s); err == nil {
			t.Errorf("ParseMonth(%q) succeeded", s)
		}
	}
	if got, err := ParseMonth("0001-01"); err != nil || got.Compare(NewMonth(1, 1)) != 0 || got.IsZero() {
		t.Errorf("ParseMonth(0001-01) = %v, %v", got, err)
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		A Date   `json:"a,omitzero"`
		B Date   `json:"b,omitzero"`
		L []Date `json:"l"`
		M Month  `json:"m"`
	}
	in := doc{A: NewDate(2024, 1, 12), L: []Date{NewDate(2025, 6, 30)}, M: NewMonth(2024, 3)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"2024-01-12","l":["2025-06-30"],"m":"2024-03"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.A != in.A || !out.B.IsZero() || out.L[0] != in.L[0] || out.M != in.M {
		t.Errorf("round trip: %+v", out)
	}
	if err := json.Unmarshal([]byte(`{"a":"1/2/2024"}`), &out); err == nil {
		t.Error("a bad date decoded")
	}
}
