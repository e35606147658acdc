package access

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
)

// User is a person or a machine client with an account.
type User struct {
	// Name is the login name: 1 to 64 characters of a-z, 0-9, '.', '_'
	// and '-', beginning with a letter or digit.
	Name string `json:"name"`
	// Nation is the ISO 3166-1 alpha-3 code of the nation the user belongs
	// to; records released to it are released to the user.
	Nation string `json:"nation"`
	// Clearance is the most protected classification the user may see.
	Clearance label.Classification `json:"clearance"`
	// Roles are what the user is for (see Allowed).
	Roles []Role `json:"roles"`
	// Disabled users may do nothing and see nothing.
	Disabled bool `json:"disabled,omitempty"`
	// CreatedAt is when the account was created.
	CreatedAt time.Time `json:"created_at"`
}

// MaxNameLen is the longest user name.
const MaxNameLen = 64

// Check returns what is wrong with u under scheme, if anything, as
// label.Problems naming each bad field ("name", "nation", "clearance",
// "roles", "roles[i]").
func (u User) Check(scheme label.Scheme) error {
	var ps label.Problems
	if reason := checkName(u.Name); reason != "" {
		ps = append(ps, label.Problem{Field: "name", Reason: reason})
	}
	if !label.IsNationCode(u.Nation) {
		ps = append(ps, label.Problem{Field: "nation", Reason: fmt.Sprintf("%q is not an ISO 3166-1 alpha-3 code (three capital letters)", u.Nation)})
	}
	if _, ok := scheme.Rank(u.Clearance); !ok {
		ps = append(ps, label.Problem{Field: "clearance", Reason: fmt.Sprintf("unknown classification %q (want one of %s)", u.Clearance, joinLevels(scheme.Levels))})
	}
	if len(u.Roles) == 0 {
		ps = append(ps, label.Problem{Field: "roles", Reason: fmt.Sprintf("a user needs at least one role (one of %s)", joinRoles(Roles()))})
	}
	for i, r := range u.Roles {
		field := fmt.Sprintf("roles[%d]", i)
		switch {
		case !r.Valid():
			ps = append(ps, label.Problem{Field: field, Reason: fmt.Sprintf("unknown role %q (want one of %s)", r, joinRoles(Roles()))})
		case slices.Contains(u.Roles[:i], r):
			ps = append(ps, label.Problem{Field: field, Reason: fmt.Sprintf("%s is listed twice", r)})
		}
	}
	if len(ps) > 0 {
		return fmt.Errorf("user %q: %w", u.Name, ps)
	}
	return nil
}

// checkName returns why name is not a valid user name, or "".
func checkName(name string) string {
	if name == "" {
		return "empty; a user name is 1 to 64 characters"
	}
	if len(name) > MaxNameLen {
		return fmt.Sprintf("%d characters long; a user name is at most %d", len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return fmt.Sprintf("%q begins with %q; a user name begins with a lower-case letter or a digit", name, c)
		}
		if !alnum && c != '.' && c != '_' && c != '-' {
			return fmt.Sprintf("%q has %q at byte %d; a user name has only a-z, 0-9, '.', '_' and '-'", name, c, i)
		}
	}
	return ""
}

// Can reports whether u may do p: u is not disabled and one of u's roles
// grants p.
func (u User) Can(p Permission) bool {
	return !u.Disabled && Allowed(u.Roles, p)
}

// CanSee reports whether u may see a record labelled l under scheme: u is
// not disabled, u's clearance covers l's classification, and l is at the
// scheme's public level or is released to u's nation (which must be a
// nation code, so that a user without one matches no malformed label).
// Roles do not enter into it; whether u may read records at all is a
// Permission.
func CanSee(u User, l label.Label, scheme label.Scheme) bool {
	return !u.Disabled && scheme.VisibilityFor(u.Nation, u.Clearance).Allows(l)
}

func joinLevels(levels []label.Classification) string {
	parts := make([]string, len(levels))
	for i, c := range levels {
		parts[i] = string(c)
	}
	return strings.Join(parts, ", ")
}
