package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/audit"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
)

func auditCommand() command {
	return command{
		name:  "audit",
		short: "check a database or a server against the tamper-evident log",
		long: `With --db, recomputes the tamper-evident log from the records in the database
file and checks it against the stored log and every stored checkpoint: it names
each record that was changed, removed, inserted or reordered, each altered or
missing leaf and kept node, and each checkpoint that does not verify. The
database is only read; it may be in use by a server.

With --remote, checks a server against a checkpoint you kept earlier (from
GET /api/v1/log/checkpoint): it verifies the server's current checkpoint and
a consistency proof that the log it signs is the log you kept, with records
only added. --save keeps the new checkpoint for next time.

The exit status is 0 when nothing is wrong and 1 when something is.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *environment) error {
			var o auditOptions
			fs.StringVar(&o.db, "db", "", "audit the SQLite database `FILE`")
			fs.StringVar(&o.remote, "remote", "", "audit the server at `URL` against --checkpoint")
			fs.StringVar(&o.checkpoint, "checkpoint", "", "a signed checkpoint `FILE` kept earlier; with --db it is checked too")
			fs.StringVar(&o.key, "key", "", "the log's verifier `KEY` (name+hash+key) to trust; by default the keys the database records, or the key the server serves")
			fs.StringVar(&o.token, "token", "", "with --remote, send `TOKEN` as a bearer token")
			fs.StringVar(&o.save, "save", "", "with --remote, write the server's checkpoint to `FILE` once it is verified")
			fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "with --remote, the time limit of each request")
			return o.run
		},
	}
}

type auditOptions struct {
	db, remote, checkpoint, key, token, save string
	timeout                                  time.Duration
}

func (o *auditOptions) run(ctx context.Context, env *environment) error {
	switch {
	case o.db == "" && o.remote == "":
		return fmt.Errorf("%w: give --db FILE to audit a database, or --remote URL with --checkpoint FILE to audit a server", errUsage)
	case o.db != "" && o.remote != "":
		return fmt.Errorf("%w: give --db or --remote, not both (GUARANTOR_DB and GUARANTOR_REMOTE set them too)", errUsage)
	case o.db != "" && o.save != "":
		return fmt.Errorf("%w: --save goes with --remote", errUsage)
	case o.remote != "" && o.checkpoint == "":
		return fmt.Errorf("%w: --remote needs --checkpoint FILE, a checkpoint of the server's log you kept earlier", errUsage)
	}
	if o.key != "" {
		if _, err := note.NewVerifier(o.key); err != nil {
			return fmt.Errorf("%w: --key %q is not a verifier key (name+hash+key): %v", errUsage, o.key, err)
		}
	}
	if o.db != "" {
		return o.auditDB(ctx, env)
	}
	return o.auditRemote(ctx, env)
}

// auditDB audits a database file.
func (o *auditOptions) auditDB(ctx context.Context, env *environment) error {
	// Auditing must not create a database where a path is mistyped.
	if _, err := os.Stat(o.db); err != nil {
		return fmt.Errorf("no database at %s: %w", o.db, err)
	}
	var opts sqlite.AuditOptions
	if o.key != "" {
		opts.Keys = []string{o.key}
	}
	if o.checkpoint != "" {
		kept, err := os.ReadFile(o.checkpoint)
		if err != nil {
			return fmt.Errorf("read the kept checkpoint: %w", err)
		}
		opts.Kept = [][]byte{kept}
	}
	st, err := sqlite.Open(ctx, o.db, sqlite.Options{NoMigrate: true})
	if err != nil {
		return err
	}
	defer st.Close()
	migrations, err := st.Migrations(ctx)
	if err != nil {
		return err
	}
	var pending []string
	for _, m := range migrations {
		if m.AppliedAt.IsZero() {
			pending = append(pending, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("the database at %s has pending migrations (%s), so it may have no log to audit yet; audit only reads: run 'guarantor migrate --db %s' first",
			o.db, strings.Join(pending, ", "), o.db)
	}
	// The audit keeps 40 bytes per leaf for its whole run, in a few large
	// arrays without pointers, and makes a little garbage per record: a
	// low GC target keeps its peak memory near what it keeps, for little
	// time (the collector does not scan those arrays).
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	start := time.Now()
	rep, err := st.Audit(ctx, opts)
	if err != nil {
		return err
	}
	printReport(env.stdout, o.db, rep, time.Since(start))
	if !rep.OK() {
		return fmt.Errorf("%s: the database does not match its tamper-evident log", countFindings(rep))
	}
	return nil
}

// printReport writes an audit's report: what was read, one line per
// finding, the checkpoints verified and the verdict.
func printReport(w io.Writer, db string, rep audit.Report, took time.Duration) {
	var kinds []string
	records := 0
	for _, kind := range slices.Sorted(maps.Keys(rep.Records)) {
		records += rep.Records[kind]
		kinds = append(kinds, fmt.Sprintf("%d %s", rep.Records[kind], kind))
	}
	fmt.Fprintf(w, "audit of %s: %d leaves (%d stored), %d records (%s), %d kept nodes, %d checkpoints, in %s\n",
		db, rep.Size, rep.LeafRows, records, strings.Join(kinds, ", "), rep.Nodes, len(rep.Checkpoints), took.Round(time.Millisecond))
	shown := map[audit.Kind]int{}
	for _, f := range rep.Findings {
		fmt.Fprintln(w, f)
		shown[f.Kind]++
	}
	for _, k := range audit.Kinds() {
		if more := rep.Counts[k] - shown[k]; more > 0 {
			fmt.Fprintf(w, "… and %d more %s findings, not listed\n", more, k)
		}
	}
	var verified []string
	for _, c := range rep.Checkpoints {
		if c.Verified {
			verified = append(verified, checkpointName(c))
		}
	}
	if len(verified) > 0 {
		fmt.Fprintf(w, "verified: %s\n", strings.Join(verified, ", "))
	}
	switch {
	case !rep.OK():
		fmt.Fprintf(w, "FAILED: %s\n", countFindings(rep))
	case len(rep.Checkpoints) == 0:
		fmt.Fprintln(w, "OK: every record matches its leaf and the kept nodes; no checkpoint is kept, so nothing signed vouches for the log yet")
	default:
		fmt.Fprintf(w, "OK: every record matches its leaf and the kept nodes, and the records give the signed root of every checkpoint (%d)\n", len(rep.Checkpoints))
	}
}

func checkpointName(c audit.CheckpointResult) string {
	if c.Seq == 0 {
		return fmt.Sprintf("the kept checkpoint (size %d)", c.Size)
	}
	return fmt.Sprintf("checkpoint %d (size %d)", c.Seq, c.Size)
}

// countFindings says how many findings of each kind a report has.
func countFindings(rep audit.Report) string {
	var parts []string
	for _, k := range audit.Kinds() {
		if n := rep.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	total := rep.Total()
	s := "findings"
	if total == 1 {
		s = "finding"
	}
	return fmt.Sprintf("%d %s (%s)", total, s, strings.Join(parts, ", "))
}

// maxResponse bounds what is read of a server's answer.
const maxResponse = 1 << 20

// auditRemote checks a server's log against a kept checkpoint.
func (o *auditOptions) auditRemote(ctx context.Context, env *environment) error {
	base, err := url.Parse(strings.TrimRight(o.remote, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("%w: --remote %q: want the server's http:// or https:// URL", errUsage, o.remote)
	}
	keptMsg, err := os.ReadFile(o.checkpoint)
	if err != nil {
		return fmt.Errorf("read the kept checkpoint: %w", err)
	}
	c := &remote{base: base, token: o.token, client: &http.Client{Timeout: o.timeout}}
	key := o.key
	if key == "" {
		b, err := c.get(ctx, "/api/v1/log/key", nil)
		if err != nil {
			return fmt.Errorf("fetch the log's key: %w", err)
		}
		key = strings.TrimSpace(string(b))
		if _, err := note.NewVerifier(key); err != nil {
			return fmt.Errorf("the server's log key %q cannot be read: %v", key, err)
		}
	}
	kept, err := audit.OpenCheckpoint(keptMsg, key)
	if err != nil {
		if o.key != "" {
			return fmt.Errorf("the checkpoint you kept in %s does not verify with --key: %w", o.checkpoint, err)
		}
		return fmt.Errorf("the key the server serves now, %s, does not verify the checkpoint you kept in %s (%v): the log's key changed, or the checkpoint is of another log; if the key was changed on purpose, check the new one out of band, and pass the one you trust with --key", key, o.checkpoint, err)
	}
	latestMsg, err := c.get(ctx, "/api/v1/log/checkpoint", nil)
	if err != nil {
		return fmt.Errorf("fetch the server's checkpoint: %w", err)
	}
	latest, err := audit.OpenCheckpoint(latestMsg, key)
	if err != nil {
		return fmt.Errorf("the server's checkpoint does not verify with the key %s: %w", key, err)
	}
	var proof [][]byte
	if latest.Origin == kept.Origin && latest.Size >= kept.Size {
		if proof, err = c.consistency(ctx, kept.Size, latest.Size); err != nil {
			return err
		}
	}
	if err := audit.CheckExtension(kept, latest, proof); err != nil {
		return fmt.Errorf("the log at %s fails the audit against the checkpoint you kept at size %d: %w", o.remote, kept.Size, err)
	}
	fmt.Fprintf(env.stdout, "checkpoint of %s at size %d verified with the key %s\n", latest.Origin, latest.Size, key)
	fmt.Fprintf(env.stdout, "OK: the log at size %d is an extension of the checkpoint you kept at size %d: its first %d leaves are those you kept, and %d were added\n",
		latest.Size, kept.Size, kept.Size, latest.Size-kept.Size)
	if o.save != "" {
		if err := writeFileAtomic(o.save, latestMsg); err != nil {
			return fmt.Errorf("save the checkpoint: %w", err)
		}
		fmt.Fprintf(env.stdout, "saved the checkpoint at size %d to %s\n", latest.Size, o.save)
	}
	return nil
}

// remote is a client of a guarantor server's log endpoints.
type remote struct {
	base   *url.URL
	token  string
	client *http.Client
}

// get fetches path (with query) and returns the body of a 200 answer.
func (c *remote) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("GET %s: the answer is larger than %d bytes", u, maxResponse)
	}
	if res.StatusCode != http.StatusOK {
		var e struct{ Error string }
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if res.StatusCode == http.StatusUnauthorized && c.token == "" {
			msg += " (give a token with --token or GUARANTOR_TOKEN)"
		}
		return nil, fmt.Errorf("GET %s: %s: %s", u, res.Status, msg)
	}
	return body, nil
}

// consistency fetches the consistency proof between two tree sizes.
func (c *remote) consistency(ctx context.Context, from, to uint64) ([][]byte, error) {
	q := url.Values{"from": {strconv.FormatUint(from, 10)}, "to": {strconv.FormatUint(to, 10)}}
	body, err := c.get(ctx, "/api/v1/log/proof/consistency", q)
	if err != nil {
		return nil, fmt.Errorf("fetch the consistency proof: %w", err)
	}
	var p struct {
		From   uint64   `json:"from"`
		To     uint64   `json:"to"`
		Hashes [][]byte `json:"hashes"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("read the consistency proof: %w", err)
	}
	if p.From != from || p.To != to {
		return nil, fmt.Errorf("the server answered a consistency proof from %d to %d, not from %d to %d", p.From, p.To, from, to)
	}
	for i, h := range p.Hashes {
		if len(h) != ledger.HashSize {
			return nil, fmt.Errorf("the consistency proof's hash %d has %d bytes, want %d", i, len(h), ledger.HashSize)
		}
	}
	return p.Hashes, nil
}

// writeFileAtomic writes data to path through a temporary file in the
// same directory, so that a reader never sees half of it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
