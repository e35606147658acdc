// Package problem says what is wrong with a document a person wrote or
// sent (terms, a registry, a label scheme, an observation, a restriction of
// access): each problem names the field at fault by its path in the
// document's own names, such as "commitments[3].allocated", and says why;
// a list of them is one error, so that every problem is reported at once
// rather than the first alone.
package problem

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong: the path of the field, and what is wrong with
// it. Field is empty when the problem is with the document as a whole.
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error returns "field: reason", or the reason alone when no field applies.
func (p Problem) Error() string {
	if p.Field == "" {
		return p.Reason
	}
	return p.Field + ": " + p.Reason
}

// List is every problem found, in the order of the document's fields.
type List []Problem

// Error returns the one problem, or a count and one problem a line.
func (l List) Error() string {
	switch len(l) {
	case 0:
		return "no problems"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(l))
	for _, p := range l {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Add appends a problem with a formatted reason.
func (l *List) Add(field, format string, args ...any) {
	*l = append(*l, Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Under appends ps with their fields prefixed by prefix: "allocated" under
// "commitments[3]" is "commitments[3].allocated".
func (l *List) Under(prefix string, ps List) {
	for _, p := range ps {
		f := prefix
		if p.Field != "" {
			f = Join(prefix, p.Field)
		}
		*l = append(*l, Problem{Field: f, Reason: p.Reason})
	}
}

// Has reports whether a problem names field.
func (l List) Has(field string) bool {
	for _, p := range l {
		if p.Field == field {
			return true
		}
	}
	return false
}

// Join joins a field path and a field name, or an index such as "[2]".
func Join(path, field string) string {
	if path == "" || strings.HasPrefix(field, "[") {
		return path + field
	}
	return path + "." + field
}
