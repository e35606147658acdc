package terms

import "github.com/guarantor-project/guarantor/internal/problem"

// Problem is one thing wrong with a terms file: the path of the field, in
// the file's own names (such as "parties[1].side" or
// "contact_line.coordinates[12]"), and what is wrong with it.
type Problem = problem.Problem

// Problems is every problem found with a terms file, in the order of the
// file's fields.
type Problems = problem.List
