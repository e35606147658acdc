package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/server"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
	"github.com/guarantor-project/guarantor/internal/trigger"
	"github.com/guarantor-project/guarantor/internal/verify"
)

// demoParty is the party the demonstration's trigger clauses watch: the
// party of the simulated terms whose fire across the line the demo
// analysts verify.
const demoParty = "B"

// loadDemoRegistry loads the illustrative registry of guarantors,
// instruments and commitments (guarantee.Demo). Loading it again changes
// nothing.
func loadDemoRegistry(ctx context.Context, srv *server.Server) error {
	return srv.LoadRegistry(ctx, guarantee.Demo())
}

// demoActivation shows what a verified cross-line attack sets in motion.
// Once fusion has found the simulated day's candidates, the demo analysts
// of two nations confirm the gravest fire across the line attributed to
// demoParty, the guarantees loop proposes the activations of the clauses it
// satisfies, and the demo authority confirms all but one of them: the
// obligations of each guarantor start with their deadlines running, and one
// proposal awaits a determination. It does nothing when an activation
// exists already (a second start).
func demoActivation(ctx context.Context, st store.Store, srv *server.Server, log *slog.Logger) error {
	if recs, err := st.QueryActivations(ctx, store.ActivationQuery{Limit: 1}); err != nil || len(recs) > 0 {
		return err
	}
	fra, _, err := st.User(ctx, "analyst-fra")
	if err != nil {
		return err
	}
	gbr, _, err := st.User(ctx, "analyst-gbr")
	if err != nil {
		return err
	}
	authority, _, err := st.User(ctx, "authority")
	if err != nil {
		return err
	}
	// Both analysts must see it: a candidate released to France.
	vis := label.DefaultScheme().VisibilityFor(fra.Nation, fra.Clearance)
	var cand store.CandidateRecord
	giveUp := time.Now().Add(5 * time.Minute)
	for cand.ID == "" {
		if time.Now().After(giveUp) {
			log.Warn("demo activation: no major fire across the line by the demo party to verify")
			return nil
		}
		page, err := st.QueryCandidates(ctx, store.CandidateQuery{Type: terms.FireAcrossLine, Party: demoParty, Visible: &vis, Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Candidates) > 0 && page.Candidates[0].Severity == "major" {
			cand = page.Candidates[0]
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second): // fusion is still replaying the day
		}
	}
	for _, a := range []struct {
		who    string
		reason string
	}{{gbr.Name, "Demonstration: the acoustic origin and the crater analysis agree."}, {fra.Name, "Demonstration: imagery shows the firing position."}} {
		u := gbr
		if a.who == fra.Name {
			u = fra
		}
		_, _, _, err := srv.ActOnCandidate(ctx, u, cand.ID, server.ActionRequest{ID: "demo-" + a.who + "-" + cand.ID, Kind: string(verify.Confirm), Reason: a.reason})
		if err != nil && !errors.Is(err, verify.ErrRefused) {
			return fmt.Errorf("confirm %s as %s: %w", cand.ID, a.who, err)
		}
	}
	if err := srv.GuaranteesOnce(ctx); err != nil {
		return err
	}
	proposed, err := st.QueryActivations(ctx, store.ActivationQuery{State: trigger.Proposed, Limit: 1000})
	if err != nil {
		return err
	}
	// One proposal is left for the newcomer signed in as the authority to
	// determine; the others are confirmed, so that the liaison officers
	// find obligations running.
	slices.SortFunc(proposed, func(a, b store.ActivationRecord) int { return strings.Compare(a.Activation.ID, b.Activation.ID) })
	left := ""
	for i, rec := range proposed {
		if i == len(proposed)-1 && len(proposed) > 1 {
			left = rec.Activation.ID
			break
		}
		if _, err := srv.Determine(ctx, authority, rec.Activation.ID, true,
			"Demonstration: the verified fire across the line is determined an armed attack."); err != nil {
			return fmt.Errorf("determine %s: %w", rec.Activation.ID, err)
		}
	}
	log.Info("demo activation", "finding", cand.ID, "activations", len(proposed), "awaiting_determination", left)
	return nil
}
