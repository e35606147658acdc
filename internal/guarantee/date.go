package guarantee

import (
	"fmt"
	"time"
)

// Date is a civil date, without a time of day or a zone, written
// YYYY-MM-DD in JSON, YAML and CSV. The zero Date means "absent" and is
// written as an empty string (or left out). Dates are comparable with ==
// and usable as map keys.
type Date struct {
	// n counts days so that 0001-01-01 is 1; 0 is the zero Date.
	n int32
}

// unixDay is the value of Date.n for 1970-01-01.
const unixDay = 719163

// Years a Date can hold.
const (
	minYear = 1
	maxYear = 9999
)

// NewDate returns the date of year, month and day, normalising values out
// of range as time.Date does (January 32 is February 1). A date outside
// the years 1 to 9999 yields the zero Date.
func NewDate(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the date of t in t's location, or the zero Date when that
// falls outside the years 1 to 9999.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	if y < minYear || y > maxYear {
		return Date{}
	}
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	return Date{n: int32(u/86400 + unixDay)}
}

// ParseDate parses a date written YYYY-MM-DD, such as 2024-01-12. The empty
// string is the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) || t.Year() < minYear {
		return Date{}, fmt.Errorf("want a date written YYYY-MM-DD, such as 2024-01-12, got %q", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date, which means absent.
func (d Date) IsZero() bool { return d.n == 0 }

// Time returns midnight UTC at the start of d; the zero time.Time for the
// zero Date.
func (d Date) Time() time.Time {
	if d.n == 0 {
		return time.Time{}
	}
	return time.Unix(int64(d.n-unixDay)*86400, 0).UTC()
}

// String returns d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.n == 0 {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e. The
// zero Date is before every other.
func (d Date) Compare(e Date) int {
	switch {
	case d.n < e.n:
		return -1
	case d.n > e.n:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.n < e.n }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.n > e.n }

// Month returns the calendar month d falls in; the zero Month for the zero
// Date.
func (d Date) Month() Month {
	if d.n == 0 {
		return Month{}
	}
	y, m, _ := d.Time().Date()
	return NewMonth(y, m)
}

// MarshalText writes d as YYYY-MM-DD, or nothing for the zero Date.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written YYYY-MM-DD; empty text is the zero
// Date.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Month is a calendar month, written YYYY-MM (such as 2024-03). The zero
// Month means "absent". Months are comparable with == and <-ordered by
// Compare.
type Month struct {
	// n counts months so that 0001-01 is 1; 0 is the zero Month.
	n int32
}

// NewMonth returns the month of year, normalising a month out of range as
// time.Date does (month 13 of 2024 is 2025-01). A month outside the years 1
// to 9999 yields the zero Month.
func NewMonth(year int, month time.Month) Month {
	t := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	if y := t.Year(); y < minYear || y > maxYear {
		return Month{}
	}
	return Month{n: int32((t.Year()-minYear)*12 + int(t.Month()))}
}

// ParseMonth parses a month written YYYY-MM, such as 2024-03. The empty
// string is the zero Month.
func ParseMonth(s string) (Month, error) {
	if s == "" {
		return Month{}, nil
	}
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != len("2006-01") || t.Year() < minYear {
		return Month{}, fmt.Errorf("want a month written YYYY-MM, such as 2024-03, got %q", s)
	}
	return NewMonth(t.Year(), t.Month()), nil
}

// IsZero reports whether m is the zero Month, which means absent.
func (m Month) IsZero() bool { return m.n == 0 }

// Year returns m's year, 0 for the zero Month.
func (m Month) Year() int {
	if m.n == 0 {
		return 0
	}
	return int(m.n-1)/12 + minYear
}

// Month returns m's month of the year, 0 for the zero Month.
func (m Month) Month() time.Month {
	if m.n == 0 {
		return 0
	}
	return time.Month(int(m.n-1)%12 + 1)
}

// First returns the first day of m.
func (m Month) First() Date {
	if m.n == 0 {
		return Date{}
	}
	return NewDate(m.Year(), m.Month(), 1)
}

// Last returns the last day of m.
func (m Month) Last() Date {
	if m.n == 0 {
		return Date{}
	}
	return NewDate(m.Year(), m.Month()+1, 0)
}

// Add returns the month n months after m (before, for negative n). The
// zero Month stays zero.
func (m Month) Add(n int) Month {
	if m.n == 0 {
		return m
	}
	return NewMonth(m.Year(), m.Month()+time.Month(n))
}

// Compare returns -1, 0 or +1 as m is before, equal to or after o.
func (m Month) Compare(o Month) int {
	switch {
	case m.n < o.n:
		return -1
	case m.n > o.n:
		return 1
	}
	return 0
}

// String returns m as YYYY-MM, or "" for the zero Month.
func (m Month) String() string {
	if m.n == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Month()))
}

// MarshalText writes m as YYYY-MM, or nothing for the zero Month.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a month written YYYY-MM; empty text is the zero
// Month.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
