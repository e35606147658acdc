package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// demoUser is one account of the demonstration, chosen to show what each
// role and each nation sees. The simulated records are PUBLIC, RESTRICTED
// REL TO FRA, GBR, UKR, or CONFIDENTIAL REL TO GBR, USA (see package sim).
type demoUser struct {
	name, nation string
	clearance    label.Classification
	roles        []access.Role
	why          string
}

func demoAccounts() []demoUser {
	return []demoUser{
		{"admin", "UKR", label.Secret, []access.Role{access.Admin}, "runs the platform: users, sensors, terms"},
		{"analyst-fra", "FRA", label.Confidential, []access.Role{access.Analyst}, "sees PUBLIC and RESTRICTED records"},
		{"analyst-gbr", "GBR", label.Secret, []access.Role{access.Analyst}, "sees every demo record"},
		{"liaison-fra", "FRA", label.Restricted, []access.Role{access.Liaison}, "France's liaison officer"},
		{"liaison-gbr", "GBR", label.Restricted, []access.Role{access.Liaison}, "the United Kingdom's liaison officer"},
		{"liaison-usa", "USA", label.Restricted, []access.Role{access.Liaison}, "the United States' liaison officer"},
		{"authority", "UKR", label.Secret, []access.Role{access.Authority}, "determines breaches and confirms activations"},
		{"secretariat", "UKR", label.Restricted, []access.Role{access.Secretariat}, "keeps the registry of guarantors, instruments and commitments"},
		{"viewer-pol", "POL", label.Secret, []access.Role{access.Viewer}, "no demo record is released to POL: sees PUBLIC ones only"},
	}
}

// demoUsers makes sure the demonstration accounts exist and prints how to
// sign in as each. Their passwords are random, made when the accounts are,
// and kept with 0600 permissions in a file beside the database so that
// every start can print them again. (They are demonstration accounts: a
// real deployment adds its users with `guarantor user add`.)
func demoUsers(ctx context.Context, st store.Accounts, db string, w io.Writer) error {
	path := strings.TrimSuffix(db, ".db") + ".demo-logins"
	passwords, err := readDemoLogins(path)
	if err != nil {
		return err
	}
	changed := false
	for _, d := range demoAccounts() {
		if passwords[d.name] != "" {
			continue
		}
		pw := demoPassword()
		hash, err := access.HashPassword(pw, rand.Reader)
		if err != nil {
			return err
		}
		u := access.User{Name: d.name, Nation: d.nation, Clearance: d.clearance, Roles: d.roles, CreatedAt: time.Now().UTC()}
		err = st.AddUser(ctx, u, hash)
		if errors.Is(err, store.ErrExists) {
			err = st.SetPassword(ctx, d.name, hash) // the file was lost: a new password
		}
		if err != nil {
			return err
		}
		passwords[d.name], changed = pw, true
	}
	if changed {
		var b strings.Builder
		for _, d := range demoAccounts() {
			fmt.Fprintf(&b, "%s %s\n", d.name, passwords[d.name])
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	fmt.Fprintf(w, "\nDemo accounts (passwords kept in %s). Sign in with\n  curl -c cookies -d '{\"name\":\"NAME\",\"password\":\"PASSWORD\"}' http://ADDR/api/v1/session\n", path)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tPASSWORD\tNATION\tCLEARANCE\tROLES\t")
	for _, d := range demoAccounts() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", d.name, passwords[d.name], d.nation, d.clearance, joinRoles(d.roles), d.why)
	}
	return tw.Flush()
}

func readDemoLogins(path string) (map[string]string, error) {
	out := map[string]string{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		if name, pw, ok := strings.Cut(line, " "); ok {
			out[name] = pw
		}
	}
	return out, nil
}

// demoPassword is 16 random bytes, base64url: 22 characters.
func demoPassword() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
