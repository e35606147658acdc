package access

import (
	"slices"
	"strings"
	"testing"
)

// TestAllowedMatrix checks every role against every permission: the table
// in the package documentation.
func TestAllowedMatrix(t *testing.T) {
	const (
		y = true
		n = false
	)
	tests := []struct {
		p                                                                 Permission
		admin, analyst, liaison, authority, secretariat, viewer, ingestor bool
	}{
		{ReadRecords, y, y, y, y, y, y, n},
		{ReadLog, y, y, y, y, y, y, y},
		{IngestRecords, y, y, n, n, n, n, y},
		{ManageSensors, y, n, n, n, n, n, n},
		{ManageTerms, y, n, n, n, n, n, n},
		{ManageUsers, y, n, n, n, n, n, n},
		{Verify, n, y, n, n, n, n, n},
		{Determine, n, n, n, y, n, n, n},
		{ActOnObligation, n, n, y, n, n, n, n},
		{ManageRegistry, y, n, n, n, y, n, n},
		{ManageWebhooks, y, n, n, n, n, n, n},
	}
	if len(tests) != len(Permissions()) {
		t.Fatalf("the table has %d permissions, Permissions %d", len(tests), len(Permissions()))
	}
	for i, tc := range tests {
		if Permissions()[i] != tc.p {
			t.Errorf("Permissions()[%d] = %s, want %s (the table's order)", i, Permissions()[i], tc.p)
		}
		want := map[Role]bool{Admin: tc.admin, Analyst: tc.analyst, Liaison: tc.liaison, Authority: tc.authority, Secretariat: tc.secretariat, Viewer: tc.viewer, Ingest: tc.ingestor}
		if len(want) != len(Roles()) {
			t.Fatalf("the table has %d roles, Roles %d", len(want), len(Roles()))
		}
		for _, r := range Roles() {
			if got := Allowed([]Role{r}, tc.p); got != want[r] {
				t.Errorf("Allowed([%s], %s) = %v, want %v", r, tc.p, got, want[r])
			}
			if got := slices.Contains(RolePermissions(r), tc.p); got != want[r] {
				t.Errorf("RolePermissions(%s) contains %s = %v, want %v", r, tc.p, got, want[r])
			}
		}
	}
}

func TestAllowedCombinations(t *testing.T) {
	tests := []struct {
		roles []Role
		p     Permission
		want  bool
	}{
		{nil, ReadLog, false},
		{[]Role{}, ReadRecords, false},
		{[]Role{"root"}, ManageUsers, false},
		{[]Role{"ADMIN"}, ManageUsers, false},
		{[]Role{Viewer, Ingest}, ReadRecords, true},
		{[]Role{Viewer, Ingest}, IngestRecords, true},
		{[]Role{Admin, Analyst}, Verify, true},
		{[]Role{Admin, Analyst}, ManageUsers, true},
		{[]Role{Admin}, "delete_everything", false},
		{[]Role{Admin, Analyst, Liaison, Authority, Secretariat, Viewer, Ingest}, "", false},
	}
	for _, tc := range tests {
		if got := Allowed(tc.roles, tc.p); got != tc.want {
			t.Errorf("Allowed(%v, %q) = %v, want %v", tc.roles, tc.p, got, tc.want)
		}
	}
}

func TestRolePermissionsOrderAndCopies(t *testing.T) {
	all := Permissions()
	for _, r := range Roles() {
		ps := RolePermissions(r)
		if len(ps) == 0 {
			t.Errorf("%s grants nothing", r)
		}
		if !slices.IsSortedFunc(ps, func(a, b Permission) int { return slices.Index(all, a) - slices.Index(all, b) }) {
			t.Errorf("RolePermissions(%s) = %v is not in the order of Permissions", r, ps)
		}
		ps[0] = "changed"
		if RolePermissions(r)[0] == "changed" {
			t.Errorf("RolePermissions(%s) shares its slice", r)
		}
	}
	if RolePermissions("nobody") != nil {
		t.Errorf("an unknown role grants something")
	}
	rs := Roles()
	rs[0] = "changed"
	if Roles()[0] != Admin {
		t.Errorf("Roles shares its slice")
	}
}

func TestParseRoles(t *testing.T) {
	tests := []struct {
		in      string
		want    []Role
		wantErr string // a substring of the error; "" for none
	}{
		{"analyst,viewer", []Role{Analyst, Viewer}, ""},
		{"admin", []Role{Admin}, ""},
		{" liaison , authority ", []Role{Liaison, Authority}, ""},
		{"ingest,ingest,viewer", []Role{Ingest, Viewer}, ""},
		{"admin,analyst,liaison,authority,secretariat,viewer,ingest", Roles(), ""},
		{"", nil, ""},
		{"  ", nil, ""},
		{"analyst,superuser", nil, `unknown role "superuser"`},
		{"Analyst", nil, `unknown role "Analyst"`},
		{"analyst,,viewer", nil, "role 2 is empty"},
		{"analyst,", nil, "role 2 is empty"},
	}
	for _, tc := range tests {
		got, err := ParseRoles(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseRoles(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseRoles(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseRoles("x"); err == nil || !strings.Contains(err.Error(), "admin, analyst, liaison, authority, secretariat, viewer, ingest") {
		t.Errorf("the error for an unknown role does not list the roles: %v", err)
	}
}
