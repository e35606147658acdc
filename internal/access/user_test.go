package access

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
)

func validUser() User {
	return User{
		Name:      "ana.kovac",
		Nation:    "HRV",
		Clearance: label.Confidential,
		Roles:     []Role{Analyst},
		CreatedAt: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
	}
}

func TestUserCheck(t *testing.T) {
	scheme := label.DefaultScheme()
	tests := []struct {
		name   string
		change func(*User)
		fields []string
	}{
		{"valid", func(*User) {}, nil},
		{"digit first, all characters", func(u *User) { u.Name = "007_bond-j.smith" }, nil},
		{"one character", func(u *User) { u.Name = "a" }, nil},
		{"64 characters", func(u *User) { u.Name = strings.Repeat("a", 64) }, nil},
		{"several roles", func(u *User) { u.Roles = []Role{Admin, Viewer} }, nil},
		{"disabled", func(u *User) { u.Disabled = true }, nil},
		{"public clearance", func(u *User) { u.Clearance = label.Public }, nil},
		{"empty name", func(u *User) { u.Name = "" }, []string{"name"}},
		{"65 characters", func(u *User) { u.Name = strings.Repeat("a", 65) }, []string{"name"}},
		{"upper case", func(u *User) { u.Name = "Ana" }, []string{"name"}},
		{"dot first", func(u *User) { u.Name = ".ana" }, []string{"name"}},
		{"hyphen first", func(u *User) { u.Name = "-ana" }, []string{"name"}},
		{"space", func(u *User) { u.Name = "ana kovac" }, []string{"name"}},
		{"at sign", func(u *User) { u.Name = "ana@example.org" }, []string{"name"}},
		{"non-ASCII", func(u *User) { u.Name = "anaé" }, []string{"name"}},
		{"lower-case nation", func(u *User) { u.Nation = "hrv" }, []string{"nation"}},
		{"no nation", func(u *User) { u.Nation = "" }, []string{"nation"}},
		{"two-letter nation", func(u *User) { u.Nation = "HR" }, []string{"nation"}},
		{"unknown clearance", func(u *User) { u.Clearance = "TOP SECRET" }, []string{"clearance"}},
		{"no clearance", func(u *User) { u.Clearance = "" }, []string{"clearance"}},
		{"no roles", func(u *User) { u.Roles = nil }, []string{"roles"}},
		{"unknown role", func(u *User) { u.Roles = []Role{Viewer, "root"} }, []string{"roles[1]"}},
		{"role twice", func(u *User) { u.Roles = []Role{Viewer, Analyst, Viewer} }, []string{"roles[2]"}},
		{"everything wrong", func(u *User) {
			*u = User{Name: "_", Nation: "x", Clearance: "x", Roles: []Role{"x"}}
		}, []string{"name", "nation", "clearance", "roles[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := validUser()
			tc.change(&u)
			err := u.Check(scheme)
			var got []string
			if err != nil {
				var ps label.Problems
				if !errors.As(err, &ps) {
					t.Fatalf("error %v does not wrap label.Problems", err)
				}
				for _, p := range ps {
					if p.Reason == "" {
						t.Errorf("problem on %s without a reason", p.Field)
					}
					got = append(got, p.Field)
				}
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("problems on %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}

	// The clearance is judged by the scheme given.
	u := validUser()
	u.Clearance = "TOP SECRET"
	nato := label.Scheme{Levels: []label.Classification{"PUBLIC", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"}, Public: "PUBLIC"}
	if err := u.Check(nato); err != nil {
		t.Errorf("TOP SECRET under a scheme that has it: %v", err)
	}
}

func TestUserCan(t *testing.T) {
	u := validUser()
	if !u.Can(Verify) || u.Can(ManageUsers) {
		t.Errorf("an analyst: Can(verify) = %v, Can(manage_users) = %v", u.Can(Verify), u.Can(ManageUsers))
	}
	u.Disabled = true
	for _, p := range Permissions() {
		if u.Can(p) {
			t.Errorf("a disabled user can %s", p)
		}
	}
}

func TestCanSee(t *testing.T) {
	def := label.DefaultScheme()
	noPublic := label.Scheme{Levels: []label.Classification{"OFFICIAL", "SECRET"}}
	user := func(nation string, clearance label.Classification) User {
		return User{Name: "u", Nation: nation, Clearance: clearance, Roles: []Role{Viewer}}
	}
	disabled := user("FRA", label.Secret)
	disabled.Disabled = true
	tests := []struct {
		name   string
		u      User
		l      label.Label
		scheme label.Scheme
		want   bool
	}{
		{"public record, public clearance", user("FRA", label.Public), label.PublicLabel(), def, true},
		{"public record, any nation", user("UKR", label.Secret), label.PublicLabel(), def, true},
		{"public record, unknown clearance", user("FRA", "TOP SECRET"), label.PublicLabel(), def, false},
		{"public record, disabled", disabled, label.PublicLabel(), def, false},
		{"released and cleared", user("FRA", label.Restricted), label.Label{Classification: label.Restricted, RelTo: []string{"GBR", "FRA"}}, def, true},
		{"released, cleared higher", user("FRA", label.Secret), label.Label{Classification: label.Unclassified, RelTo: []string{"FRA"}}, def, true},
		{"released, not cleared", user("FRA", label.Restricted), label.Label{Classification: label.Confidential, RelTo: []string{"FRA"}}, def, false},
		{"cleared, not released", user("UKR", label.Secret), label.Label{Classification: label.Restricted, RelTo: []string{"GBR", "FRA"}}, def, false},
		{"released to nobody", user("FRA", label.Secret), label.Label{Classification: label.Restricted}, def, false},
		{"released and cleared, disabled", disabled, label.Label{Classification: label.Restricted, RelTo: []string{"FRA"}}, def, false},
		{"unknown classification", user("FRA", label.Secret), label.Label{Classification: "TOP SECRET", RelTo: []string{"FRA"}}, def, false},
		{"public with nations still public", user("UKR", label.Public), label.Label{Classification: label.Public, RelTo: []string{"FRA"}}, def, true},
		{"user without a nation, malformed label", user("", label.Secret), label.Label{Classification: label.Restricted, RelTo: []string{""}}, def, false},
		{"no public level: lowest needs nation", user("FRA", "SECRET"), label.Label{Classification: "OFFICIAL", RelTo: []string{"GBR"}}, noPublic, false},
		{"no public level: lowest released", user("GBR", "OFFICIAL"), label.Label{Classification: "OFFICIAL", RelTo: []string{"GBR"}}, noPublic, true},
		{"no public level: PUBLIC unknown", user("GBR", "SECRET"), label.PublicLabel(), noPublic, false},
		{"UNCLASSIFIED clearance is not PUBLIC's equal", user("FRA", label.Public), label.Label{Classification: label.Unclassified, RelTo: []string{"FRA"}}, def, false},
	}
	for _, tc := range tests {
		if got := CanSee(tc.u, tc.l, tc.scheme); got != tc.want {
			t.Errorf("%s: CanSee = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCanSeeEveryLevel tries every clearance against every classification
// of the default scheme, released and not released to the user's nation.
func TestCanSeeEveryLevel(t *testing.T) {
	s := label.DefaultScheme()
	for ci, clearance := range s.Levels {
		for li, c := range s.Levels {
			for _, released := range []bool{false, true} {
				l := label.Label{Classification: c, RelTo: []string{"GBR"}}
				if released {
					l.RelTo = append(l.RelTo, "POL")
				}
				if c == label.Public {
					l.RelTo = nil
				}
				want := li <= ci && (c == label.Public || released)
				u := User{Name: "p", Nation: "POL", Clearance: clearance, Roles: []Role{Viewer}}
				if got := CanSee(u, l, s); got != want {
					t.Errorf("clearance %s, label %v: CanSee = %v, want %v", clearance, l, got, want)
				}
			}
		}
	}
}

// canSeeSpec restates CanSee from its documentation, without the label
// package's helpers.
func canSeeSpec(u User, l label.Label, s label.Scheme) bool {
	if u.Disabled {
		return false
	}
	clearanceRank, labelRank := -1, -1
	for i, lv := range s.Levels {
		if lv == u.Clearance {
			clearanceRank = i
		}
		if lv == l.Classification {
			labelRank = i
		}
	}
	if clearanceRank < 0 || labelRank < 0 || labelRank > clearanceRank {
		return false
	}
	if s.Public != "" && l.Classification == s.Public {
		return true
	}
	if len(u.Nation) != 3 || strings.ContainsFunc(u.Nation, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return false
	}
	for _, n := range l.RelTo {
		if n == u.Nation {
			return true
		}
	}
	return false
}

func TestCanSeeProperty(t *testing.T) {
	schemes := []label.Scheme{
		label.DefaultScheme(),
		{Levels: []label.Classification{"PUBLIC", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"}, Public: "PUBLIC"},
		{Levels: []label.Classification{"OFFICIAL", "OFFICIAL_SENSITIVE", "SECRET"}},
	}
	classes := []label.Classification{"PUBLIC", "UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET", "OFFICIAL", "OFFICIAL_SENSITIVE", "", "secret"}
	nations := []string{"FRA", "GBR", "UKR", "POL", "USA", "", "fra", "FR"}
	r := rand.New(rand.NewPCG(20261121, 1))
	pick := func(n int) int { return r.IntN(n) }
	const cases = 20000
	seen := map[bool]int{}
	for i := range cases {
		s := schemes[pick(len(schemes))]
		// Mostly the scheme's own levels, so that both answers are common.
		class := func() label.Classification {
			if pick(6) == 0 {
				return classes[pick(len(classes))]
			}
			return s.Levels[pick(len(s.Levels))]
		}
		u := User{
			Name:      "u",
			Nation:    nations[pick(len(nations))],
			Clearance: class(),
			Roles:     []Role{Viewer},
			Disabled:  pick(8) == 0,
		}
		l := label.Label{Classification: class()}
		for range pick(4) {
			l.RelTo = append(l.RelTo, nations[pick(len(nations))])
		}
		if pick(2) == 0 {
			l.RelTo = append(l.RelTo, u.Nation)
			r.Shuffle(len(l.RelTo), func(i, j int) { l.RelTo[i], l.RelTo[j] = l.RelTo[j], l.RelTo[i] })
		}
		want := canSeeSpec(u, l, s)
		seen[want]++
		if got := CanSee(u, l, s); got != want {
			t.Fatalf("case %d: CanSee(%+v, %v, %v) = %v, want %v", i, u, l, s, got, want)
		}
	}
	t.Logf("answers over %d cases: %v", cases, seen)
	// The cases must exercise both answers, or the test proves little.
	if seen[true] < cases/20 || seen[false] < cases/20 {
		t.Errorf("unbalanced cases: %v", seen)
	}
}
