package server

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/ledgertest"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// withLogKey gives the server a fresh checkpoint signing key.
func withLogKey(t *testing.T) func(*Config) {
	skey, vkey, err := ledger.NewKey(rand.Reader, "test.example/guarantor")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *Config) { c.LogSigner, c.LogVerifierKey = signer, vkey }
}

// TestLogProofsVerifyIndependently checks the log's public answers with
// the independent verifier of package ledgertest, which knows only the
// formats: the signed checkpoint, the leaf of a record fetched through the
// API, its inclusion proof, and the consistency of two checkpoints.
func TestLogProofsVerifyIndependently(t *testing.T) {
	a := newAPI(t, withLogKey(t))
	anon := a.as("")

	if res := anon.do("GET", "/api/v1/log/checkpoint", "", nil); res.status != 404 {
		t.Errorf("checkpoint before any was issued: %d, want 404", res.status)
	}
	var ids []string
	post := func(from, to int) {
		var obs = storetest.Synthetic(5, from, to-from)
		for _, o := range obs {
			ids = append(ids, o.ID)
		}
		if r, status := ingest(t, a, "application/x-ndjson", ndjson(t, obs...)); status != 200 || r.Accepted != to-from {
			t.Fatalf("ingest: %d %+v", status, r)
		}
	}
	post(0, 37)
	cp1, err := a.srv.IssueCheckpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	post(37, 100)
	if _, err := a.srv.IssueCheckpoint(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The public checkpoint and key, without signing in.
	vkeyRes := anon.do("GET", "/api/v1/log/key", "", nil)
	cpRes := anon.do("GET", "/api/v1/log/checkpoint", "", nil)
	if vkeyRes.status != 200 || cpRes.status != 200 {
		t.Fatalf("public log key %d, checkpoint %d; want 200", vkeyRes.status, cpRes.status)
	}
	vkey := strings.TrimSpace(string(vkeyRes.body))
	origin, size, root, err := ledgertest.OpenCheckpoint(cpRes.body, vkey)
	if err != nil {
		t.Fatalf("the served checkpoint does not verify independently: %v\n%s", err, cpRes.body)
	}
	if origin != "test.example/guarantor" || size != 100 {
		t.Fatalf("checkpoint origin %q size %d, want test.example/guarantor and 100", origin, size)
	}
	_, size1, root1, err := ledgertest.OpenCheckpoint(cp1.Note, vkey)
	if err != nil || size1 != 37 {
		t.Fatalf("first checkpoint: size %d, %v", size1, err)
	}

	// Every record: its bytes from the API, its leaf index from the header,
	// its proof against the signed root.
	for i, id := range ids {
		res := a.do("GET", "/api/v1/observations/"+id, "", nil)
		leaf, err := strconv.ParseUint(res.header.Get(LogLeafHeader), 10, 64)
		if err != nil || leaf != uint64(i) {
			t.Fatalf("observation %s: leaf header %q, want %d", id, res.header.Get(LogLeafHeader), i)
		}
		body := strings.TrimSuffix(string(res.body), "\n")
		leafHash := ledgertest.LeafHash([]byte("observation\n" + body))
		var p inclusionJSON
		pres := a.do("GET", "/api/v1/log/proof/inclusion?record="+url.QueryEscape(id), "", nil)
		if pres.status != 200 {
			t.Fatalf("proof of %s: %d %s", id, pres.status, pres.body)
		}
		pres.json(t, &p)
		if p.LeafIndex != leaf || p.TreeSize != 100 {
			t.Fatalf("proof of %s: leaf %d size %d", id, p.LeafIndex, p.TreeSize)
		}
		if err := ledgertest.VerifyInclusion(leaf, size, leafHash, p.Hashes, root); err != nil {
			t.Fatalf("inclusion proof of %s does not verify independently: %v", id, err)
		}
		if i < 37 {
			var p1 inclusionJSON
			a.do("GET", fmt.Sprintf("/api/v1/log/proof/inclusion?leaf=%d&size=37", leaf), "", nil).json(t, &p1)
			if err := ledgertest.VerifyInclusion(leaf, size1, leafHash, p1.Hashes, root1); err != nil {
				t.Fatalf("inclusion proof of %s in the first checkpoint: %v", id, err)
			}
		}
	}

	// The second checkpoint extends the first.
	var c consistencyJSON
	a.do("GET", "/api/v1/log/proof/consistency?from=37", "", nil).json(t, &c)
	if c.From != 37 || c.To != 100 {
		t.Fatalf("consistency %d→%d, want 37→100", c.From, c.To)
	}
	if err := ledgertest.VerifyConsistency(size1, size, c.Hashes, root1, root); err != nil {
		t.Fatalf("consistency proof does not verify independently: %v", err)
	}

	// The kept checkpoints, oldest first.
	var list struct{ Checkpoints []checkpointJSON }
	a.do("GET", "/api/v1/log/checkpoints", "", nil).json(t, &list)
	if len(list.Checkpoints) != 2 || list.Checkpoints[0].Size != 37 || list.Checkpoints[1].Note != string(cpRes.body) {
		t.Errorf("checkpoints = %+v", list.Checkpoints)
	}
	// Issuing again without growth keeps the latest one.
	again, err := a.srv.IssueCheckpoint(t.Context())
	if err != nil || again.Size != 100 {
		t.Fatal(again, err)
	}
	a.do("GET", "/api/v1/log/checkpoints", "", nil).json(t, &list)
	if len(list.Checkpoints) != 2 {
		t.Errorf("a checkpoint of an unchanged log was kept again: %d checkpoints", len(list.Checkpoints))
	}

	// Bad requests are refused with a reason.
	for _, q := range []string{
		"/api/v1/log/proof/inclusion",
		"/api/v1/log/proof/inclusion?leaf=x",
		"/api/v1/log/proof/inclusion?leaf=100",
		"/api/v1/log/proof/inclusion?leaf=1&record=" + ids[0],
		"/api/v1/log/proof/inclusion?leaf=1&size=101",
		"/api/v1/log/proof/inclusion?record=" + ids[0] + "&kind=nope",
		"/api/v1/log/proof/consistency",
		"/api/v1/log/proof/consistency?from=50&to=40",
		"/api/v1/log/proof/consistency?from=1&to=1000",
		"/api/v1/log/proof/consistency?from=-1",
	} {
		if res := a.do("GET", q, "", nil); res.status != 400 {
			t.Errorf("GET %s: %d %s, want 400", q, res.status, res.body)
		}
	}
	if res := a.do("GET", "/api/v1/log/proof/inclusion?record=nope", "", nil); res.status != 404 {
		t.Errorf("proof of an unknown record: %d, want 404", res.status)
	}
}
