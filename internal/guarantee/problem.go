package guarantee

import "github.com/guarantor-project/guarantor/internal/problem"

// Problem is one thing wrong with a registry: the path of the field, in the
// names of the YAML and JSON files (such as "commitments[3].allocated"),
// and what is wrong with it.
type Problem = problem.Problem

// Problems is every problem found with a registry, in the order of its
// fields.
type Problems = problem.List
