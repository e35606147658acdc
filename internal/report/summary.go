package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/guarantor-project/guarantor/internal/label"
)

// summary writes the report's paragraph in plain English from its figures.
func summary(r Report, scheme label.Scheme) string {
	var s []string
	v := r.Violations
	first := "The mission recorded " + plural(v.Total, "ceasefire violation", "ceasefire violations")
	switch c := v.Change; {
	case v.Total == 0 && v.Previous == 0:
		first += ", as on the previous day"
	case c > 0:
		first += fmt.Sprintf(", %s more than the previous day", num(c))
	case c < 0:
		first += fmt.Sprintf(", %s fewer than the previous day", num(-c))
	default:
		first += ", as many as the previous day"
	}
	switch {
	case v.Total == 0:
	case v.Verified == v.Total && v.Total == 1:
		first += "; it is verified"
	case v.Verified == v.Total:
		first += "; all are verified"
	case v.Verified == 0 && v.Total == 1:
		first += "; it awaits verification"
	case v.Verified == 0:
		first += "; none is verified yet"
	default:
		first += fmt.Sprintf("; %s verified and %s verification", isAre(v.Verified), awaits(v.Unverified))
	}
	s = append(s, first+".")
	if v.Total > 0 {
		s = append(s, mostFrequent(r.ByType))
		s = append(s, attribution(r.ByParty))
	}
	switch n := len(r.Weapons.List); n {
	case 0:
	case 1:
		s = append(s, "One heavy weapon was seen inside its withdrawal zone.")
	default:
		s = append(s, fmt.Sprintf("%s heavy weapons were seen inside their withdrawal zones.", num(n)))
	}
	a := r.Restrictions.Access
	if a.Total == 0 {
		s = append(s, "The monitors' access was not restricted.")
	} else {
		s = append(s, fmt.Sprintf("The monitors' access was restricted %s (%s denied, %s delayed), %s.", times(a.Total), num(a.Denied), num(a.Delayed), change(a.Change)))
	}
	if r.Rejected > 0 {
		s = append(s, fmt.Sprintf("Analysts rejected %s.", plural(r.Rejected, "candidate violation", "candidate violations")))
	}
	s = append(s, fmt.Sprintf("In all, the mission recorded %s.", plural(r.Incidents.Total, "incident", "incidents")))
	if r.Public {
		s = append(s, fmt.Sprintf("This public version counts only records marked %s.", scheme.Public))
	}
	return strings.Join(s, " ")
}

// mostFrequent names the most frequent types of violation.
func mostFrequent(rows []Row) string {
	top := 0
	var names []string
	nonzero := 0
	for _, r := range rows {
		if r.Total > 0 {
			nonzero++
		}
		switch {
		case r.Total > top:
			top, names = r.Total, []string{lower(r.Name)}
		case r.Total == top && top > 0:
			names = append(names, lower(r.Name))
		}
	}
	switch {
	case nonzero == 1 && top == 1:
		return fmt.Sprintf("It was %s.", names[0])
	case nonzero == 1:
		return fmt.Sprintf("All were %s.", names[0])
	case len(names) == 1:
		return fmt.Sprintf("The most frequent was %s (%s).", names[0], num(top))
	}
	return fmt.Sprintf("The most frequent were %s (%s each).", and(names), num(top))
}

// attribution says how many violations each party is responsible for.
func attribution(rows []Row) string {
	var parts []string
	none := 0
	for _, r := range rows {
		switch {
		case r.Total == 0:
		case r.Code == "":
			none = r.Total
		case len(parts) == 0:
			parts = append(parts, fmt.Sprintf("%s attributed to %s", wasWere(r.Total), r.Name))
		default:
			parts = append(parts, fmt.Sprintf("%s to %s", num(r.Total), r.Name))
		}
	}
	switch {
	case len(parts) == 0:
		return "None could be attributed to a party."
	case none > 0:
		parts = append(parts, fmt.Sprintf("%s not attributable", num(none)))
	}
	return "Of these, " + and(parts) + "."
}

// and joins items as a list in English.
func and(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// plural writes n with the noun: "no violations", "1 violation", "1,024 violations".
func plural(n int, one, many string) string {
	switch n {
	case 0:
		return "no " + many
	case 1:
		return "1 " + one
	}
	return num(n) + " " + many
}

func isAre(n int) string {
	if n == 1 {
		return "1 is"
	}
	return num(n) + " are"
}

func wasWere(n int) string {
	if n == 1 {
		return "1 was"
	}
	return num(n) + " were"
}

func awaits(n int) string {
	if n == 1 {
		return "1 awaits"
	}
	return num(n) + " await"
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return num(n) + " times"
}

// change says how a count compares with the previous day's.
func change(c int) string {
	switch {
	case c > 0:
		return num(c) + " more than the previous day"
	case c < 0:
		return num(-c) + " fewer than the previous day"
	}
	return "as many as the previous day"
}

// num writes n with commas between thousands.
func num(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// capital returns s with its first letter in upper case.
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// lower returns s with its first letter in lower case.
func lower(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
