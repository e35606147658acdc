package guarantee

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a registry: the path of the field, in the
// names of the YAML and JSON files (such as "commitments[3].allocated"),
// and what is wrong with it.
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

// Problems is every problem found with a registry, in the order of its
// fields.
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

// under appends qs with their fields prefixed by prefix: "allocated" under
// "commitments[3]" is "commitments[3].allocated".
func (ps *Problems) under(prefix string, qs Problems) {
	for _, q := range qs {
		f := prefix
		if q.Field != "" {
			f = join(prefix, q.Field)
		}
		*ps = append(*ps, Problem{Field: f, Reason: q.Reason})
	}
}

// join joins a field path and a field name, or an index such as "[2]".
func join(path, field string) string {
	if path == "" || strings.HasPrefix(field, "[") {
		return path + field
	}
	return path + "." + field
}
