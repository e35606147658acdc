package trigger

import "github.com/guarantor-project/guarantor/internal/label"

// Visible splits a proposal's or an activation's findings into those a
// reader of visibility vis may see, in the order given, and the number of
// the others, which are counted but never described. A finding without a
// label in labels is not shown.
func Visible(findings []string, labels map[string]label.Label, vis label.Visibility) (shown []string, hidden int) {
	shown = make([]string, 0, len(findings))
	for _, id := range findings {
		if l, ok := labels[id]; ok && vis.Allows(l) {
			shown = append(shown, id)
		} else {
			hidden++
		}
	}
	return shown, hidden
}
