package terms

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a terms file: the path of the field, in
// the file's own names (such as "parties[1].side" or
// "contact_line.coordinates[12]"), and what is wrong with it.
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

// Problems is every problem found with a terms file, in the order of the
// file's fields.
type Problems []Problem

// Error returns the one problem, or a count and one problem a line.
func (ps Problems) Error() string {
	switch len(ps) {
	case 0:
		return "no problems"
	case 1:
		return ps[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(ps))
	for _, p := range ps {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// add appends a problem with a formatted reason.
func (ps *Problems) add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
}
