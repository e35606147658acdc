package access

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a user is for; it grants permissions (see the package
// documentation for the table).
type Role string

// The roles.
const (
	Admin     Role = "admin"     // runs the platform: users, sensors, terms
	Analyst   Role = "analyst"   // files reports and verifies findings
	Liaison   Role = "liaison"   // acts on the obligations of a party
	Authority Role = "authority" // determines whether a violation occurred
	// Secretariat keeps the registry of guarantors, instruments and
	// commitments.
	Secretariat Role = "secretariat"
	Viewer      Role = "viewer" // reads records and the log
	Ingest      Role = "ingest" // a machine client that submits observations
)

// Roles returns every role, in the order of the package documentation's
// table. It returns a new slice each time.
func Roles() []Role {
	return []Role{Admin, Analyst, Liaison, Authority, Secretariat, Viewer, Ingest}
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case Admin, Analyst, Liaison, Authority, Secretariat, Viewer, Ingest:
		return true
	}
	return false
}

// ParseRoles parses a comma-separated list of roles, such as
// "analyst,viewer". Spaces around a role are ignored and a role given twice
// is kept once; the empty string is no roles. An unknown or empty role is an
// error that names it.
func ParseRoles(s string) ([]Role, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Role
	for i, part := range strings.Split(s, ",") {
		r := Role(strings.TrimSpace(part))
		switch {
		case r == "":
			return nil, fmt.Errorf("parse roles %q: role %d is empty", s, i+1)
		case !r.Valid():
			return nil, fmt.Errorf("parse roles %q: unknown role %q (want one of %s)", s, r, joinRoles(Roles()))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func joinRoles(rs []Role) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ", ")
}

// Permission is something the API lets a user do.
type Permission string

// The permissions.
const (
	ReadRecords     Permission = "read_records"      // query observations, sensors, terms and findings
	ReadLog         Permission = "read_log"          // read the log's checkpoints and proofs
	IngestRecords   Permission = "ingest_records"    // submit observations
	ManageSensors   Permission = "manage_sensors"    // register and retire sensors
	ManageTerms     Permission = "manage_terms"      // load versions of the agreement terms
	ManageUsers     Permission = "manage_users"      // create, change and disable users and tokens
	Verify          Permission = "verify"            // verify a finding (analyst)
	Determine       Permission = "determine"         // determine a violation (authority)
	ActOnObligation Permission = "act_on_obligation" // act on an obligation (liaison)
	ManageRegistry  Permission = "manage_registry"   // keep guarantors, instruments and commitments
	ManageWebhooks  Permission = "manage_webhooks"   // register webhooks and read their delivery log
)

// Permissions returns every permission, in the order of the package
// documentation's table. It returns a new slice each time.
func Permissions() []Permission {
	return []Permission{ReadRecords, ReadLog, IngestRecords, ManageSensors, ManageTerms, ManageUsers, Verify, Determine, ActOnObligation,
		ManageRegistry, ManageWebhooks}
}

// RolePermissions returns the permissions that r grants, in the order of
// Permissions; none for an unknown role. It returns a new slice each time.
func RolePermissions(r Role) []Permission {
	switch r {
	case Admin:
		return []Permission{ReadRecords, ReadLog, IngestRecords, ManageSensors, ManageTerms, ManageUsers, ManageRegistry, ManageWebhooks}
	case Analyst:
		return []Permission{ReadRecords, ReadLog, IngestRecords, Verify}
	case Liaison:
		return []Permission{ReadRecords, ReadLog, ActOnObligation}
	case Authority:
		return []Permission{ReadRecords, ReadLog, Determine}
	case Secretariat:
		return []Permission{ReadRecords, ReadLog, ManageRegistry}
	case Viewer:
		return []Permission{ReadRecords, ReadLog}
	case Ingest:
		return []Permission{ReadLog, IngestRecords}
	}
	return nil
}

// Allowed reports whether any of roles grants p.
func Allowed(roles []Role, p Permission) bool {
	for _, r := range roles {
		if slices.Contains(RolePermissions(r), p) {
			return true
		}
	}
	return false
}
