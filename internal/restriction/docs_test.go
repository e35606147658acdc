package restriction

import (
	"os"
	"strings"
	"testing"

	"github.com/guarantor-project/guarantor/internal/label"
)

// TestDocExample checks that the example restriction in docs/api.md (the
// first JSON block of its section "Restrictions of access") is valid, so
// that the documentation cannot drift from the parser.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Restrictions of access\n")
	if !ok {
		t.Fatal("docs/api.md has no section \"Restrictions of access\"")
	}
	_, block, ok := strings.Cut(section, "```json\n")
	if !ok {
		t.Fatal("the section \"Restrictions of access\" of docs/api.md has no JSON example")
	}
	example, _, ok := strings.Cut(block, "```")
	if !ok {
		t.Fatal("the JSON example of \"Restrictions of access\" in docs/api.md does not end")
	}
	r, err := Parse([]byte(example), label.Scheme{})
	if err != nil {
		t.Fatalf("the example restriction in docs/api.md is invalid: %v\n%s", err, example)
	}
	if r.Denied || r.Delay == 0 || r.Party == "" {
		t.Errorf("the example is %+v; it should show a delayed patrol and the party", r)
	}
}
