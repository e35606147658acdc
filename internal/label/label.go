// Package label defines releasability labels: the classification of a record
// and the nations it is released to. Every record guarantor stores carries one.
package label

import (
	"slices"
	"strings"

	"github.com/guarantor-project/guarantor/internal/problem"
)

// Classification is the protective marking of a record.
type Classification string

// The classifications, from the least to the most protected.
const (
	Public       Classification = "PUBLIC"       // releasable to anyone, including the press
	Unclassified Classification = "UNCLASSIFIED" // not public, but not protected either
	Restricted   Classification = "RESTRICTED"
	Confidential Classification = "CONFIDENTIAL"
	Secret       Classification = "SECRET"
)

// Classifications lists the classifications from the least to the most protected.
var Classifications = []Classification{Public, Unclassified, Restricted, Confidential, Secret}

// Label is a releasability label: a classification and, unless it is
// PUBLIC, the nations (ISO 3166-1 alpha-3 codes) the record is released to.
type Label struct {
	Classification Classification `json:"classification"`
	RelTo          []string       `json:"rel_to,omitempty"`
}

// PublicLabel is the label of a record anyone may see.
func PublicLabel() Label { return Label{Classification: Public} }

// Problem is one thing wrong with a label: the field and the reason.
type Problem = problem.Problem

// Normalize returns l with its nations sorted, so that equal labels have
// equal canonical bytes.
func (l Label) Normalize() Label {
	if len(l.RelTo) == 0 {
		l.RelTo = nil
		return l
	}
	l.RelTo = slices.Clone(l.RelTo)
	slices.Sort(l.RelTo)
	return l
}

// String renders the label as analysts write it: "PUBLIC" or
// "RESTRICTED REL TO FRA, GBR".
func (l Label) String() string {
	if len(l.RelTo) == 0 {
		return string(l.Classification)
	}
	return string(l.Classification) + " REL TO " + strings.Join(l.RelTo, ", ")
}

// IsNationCode reports whether s has the shape of an ISO 3166-1 alpha-3 code.
func IsNationCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
