package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/guarantee"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/notify"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/trigger"
)

// PutRegistry implements store.Registry.
func (db *DB) PutRegistry(ctx context.Context, r guarantee.Registry) error {
	type row struct {
		sql  string
		args []any
	}
	var rows []row
	for _, g := range r.Guarantors {
		b, err := json.Marshal(g)
		if err != nil {
			return fmt.Errorf("put guarantor %s: %w", g.Code, err)
		}
		rows = append(rows, row{`INSERT INTO guarantors (code, body) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET body = excluded.body`, []any{g.Code, b}})
	}
	for _, in := range r.Instruments {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("put instrument %s: %w", in.ID, err)
		}
		rows = append(rows, row{`INSERT INTO instruments (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body`, []any{in.ID, b}})
	}
	for _, c := range r.Commitments {
		b, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("put commitment %s: %w", c.ID, err)
		}
		rows = append(rows, row{`INSERT INTO commitments (id, instrument, guarantor, category, body) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET instrument = excluded.instrument, guarantor = excluded.guarantor,
				category = excluded.category, body = excluded.body`, []any{c.ID, c.Instrument, c.Guarantor, string(c.Category), b}})
	}
	err := db.write(ctx, len(rows)+1, func(tx *sql.Tx, _ *logAppender) error {
		for _, r := range rows {
			if _, err := tx.Exec(r.sql, r.args...); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`UPDATE registry_version SET version = version + 1`)
		return err
	})
	if err != nil {
		return fmt.Errorf("put registry: %w", err)
	}
	return nil
}

// LoadRegistry implements store.Registry.
func (db *DB) LoadRegistry(ctx context.Context) (guarantee.Registry, error) {
	var r guarantee.Registry
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return r, fmt.Errorf("load registry: %w", err)
	}
	defer tx.Rollback()
	if err := readBodies(ctx, tx, `SELECT body FROM guarantors ORDER BY code`, &r.Guarantors); err != nil {
		return r, fmt.Errorf("load registry: guarantors: %w", err)
	}
	if err := readBodies(ctx, tx, `SELECT body FROM instruments ORDER BY id`, &r.Instruments); err != nil {
		return r, fmt.Errorf("load registry: instruments: %w", err)
	}
	if err := readBodies(ctx, tx, `SELECT body FROM commitments ORDER BY id`, &r.Commitments); err != nil {
		return r, fmt.Errorf("load registry: commitments: %w", err)
	}
	return r, nil
}

// readBodies decodes the JSON body of every row a query returns into out.
func readBodies[T any](ctx context.Context, q queryer, query string, out *[]T, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return rows.Err()
}

// RegistryVersion implements store.Registry.
func (db *DB) RegistryVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.r.QueryRowContext(ctx, `SELECT version FROM registry_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("registry version: %w", err)
	}
	return v, nil
}

// QueryCommitments implements store.Registry.
func (db *DB) QueryCommitments(ctx context.Context, q store.CommitmentQuery) (store.CommitmentPage, error) {
	if q.Limit <= 0 {
		return store.CommitmentPage{}, fmt.Errorf("query commitments: limit must be positive, got %d", q.Limit)
	}
	where, args := []string{"id > ?"}, []any{q.After}
	for _, f := range []struct{ column, value string }{{"guarantor", q.Guarantor}, {"category", q.Category}, {"instrument", q.Instrument}} {
		if f.value != "" {
			where = append(where, f.column+" = ?")
			args = append(args, f.value)
		}
	}
	var page store.CommitmentPage
	err := readBodies(ctx, db.r, `SELECT body FROM commitments WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`,
		&page.Commitments, append(args, q.Limit+1)...)
	if err != nil {
		return page, fmt.Errorf("query commitments: %w", err)
	}
	if len(page.Commitments) > q.Limit {
		page.Commitments = page.Commitments[:q.Limit]
		page.Next = page.Commitments[q.Limit-1].ID
	}
	return page, nil
}

// Commitment implements store.Registry.
func (db *DB) Commitment(ctx context.Context, id string) (guarantee.Commitment, error) {
	var out []guarantee.Commitment
	if err := readBodies(ctx, db.r, `SELECT body FROM commitments WHERE id = ?`, &out, id); err != nil {
		return guarantee.Commitment{}, fmt.Errorf("read commitment %q: %w", id, err)
	}
	if len(out) == 0 {
		return guarantee.Commitment{}, fmt.Errorf("commitment %q: %w", id, store.ErrNotFound)
	}
	return out[0], nil
}

// nextSeq returns the next seq of a table whose rows are rewritten with a
// new seq on every write.
func nextSeq(tx *sql.Tx, table string) (int64, error) {
	var seq int64
	if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) + 1 FROM ` + table).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read last %s seq: %w", table, err)
	}
	return seq, nil
}

// ProposeActivation implements store.Activations.
func (db *DB) ProposeActivation(ctx context.Context, a trigger.Activation, events []notify.Event) error {
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("propose activation %s: %w", a.ID, err)
	}
	err = db.write(ctx, 1+len(events), func(tx *sql.Tx, _ *logAppender) error {
		seq, err := nextSeq(tx, "activations")
		if err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO activations (id, seq, clause, state, proposed_at, body) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, a.ID, seq, a.Clause, string(a.State), a.ProposedAt.UnixNano(), body)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, store.ErrExists)
		}
		return addEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("propose activation %s: %w", a.ID, err)
	}
	return nil
}

// Activation implements store.Activations.
func (db *DB) Activation(ctx context.Context, id string) (store.ActivationRecord, error) {
	recs, err := db.queryActivations(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.ActivationRecord{}, fmt.Errorf("read activation %q: %w", id, err)
	}
	if len(recs) == 0 {
		return store.ActivationRecord{}, fmt.Errorf("activation %q: %w", id, store.ErrNotFound)
	}
	return recs[0], nil
}

// QueryActivations implements store.Activations.
func (db *DB) QueryActivations(ctx context.Context, q store.ActivationQuery) ([]store.ActivationRecord, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("query activations: limit must be positive, got %d", q.Limit)
	}
	where, args := []string{"1"}, []any{}
	if q.State != "" {
		where, args = append(where, "state = ?"), append(args, string(q.State))
	}
	if q.Clause != "" {
		where, args = append(where, "clause = ?"), append(args, q.Clause)
	}
	recs, err := db.queryActivations(ctx, `WHERE `+strings.Join(where, " AND ")+` ORDER BY proposed_at DESC, id LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("query activations: %w", err)
	}
	return recs, nil
}

func (db *DB) queryActivations(ctx context.Context, tail string, args ...any) ([]store.ActivationRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, body FROM activations `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ActivationRecord
	for rows.Next() {
		var r store.ActivationRecord
		var b []byte
		if err := rows.Scan(&r.Seq, &b); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &r.Activation); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Determine implements store.Activations.
func (db *DB) Determine(ctx context.Context, a trigger.Activation, obligations []trigger.Obligation, step store.GuaranteeStep, events []notify.Event) (store.GuaranteeStep, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return step, fmt.Errorf("determine activation %s: %w", a.ID, err)
	}
	obls := make([][]byte, len(obligations))
	for i, o := range obligations {
		if obls[i], err = json.Marshal(o); err != nil {
			return step, fmt.Errorf("determine activation %s: obligation %s: %w", a.ID, o.ID, err)
		}
	}
	err = db.write(ctx, 2+len(obligations)+len(events), func(tx *sql.Tx, lg *logAppender) error {
		var state string
		err := tx.QueryRow(`SELECT state FROM activations WHERE id = ?`, a.ID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("activation %q: %w", a.ID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if state != string(trigger.Proposed) {
			return fmt.Errorf("%w: activation %s is %s already", store.ErrConflict, a.ID, state)
		}
		seq, err := nextSeq(tx, "activations")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE activations SET seq = ?, state = ?, body = ? WHERE id = ?`, seq, string(a.State), body, a.ID); err != nil {
			return err
		}
		oseq, err := nextSeq(tx, "obligations")
		if err != nil {
			return err
		}
		for i, o := range obligations {
			if _, err := tx.Exec(`INSERT INTO obligations (id, seq, activation, guarantor, state, deadline, n, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				o.ID, oseq+int64(i), o.Activation, o.Guarantor, string(o.State), o.Deadline.UnixNano(), len(o.History), obls[i]); err != nil {
				return fmt.Errorf("obligation %s: %w", o.ID, err)
			}
		}
		if step, err = logStep(tx, lg, step); err != nil {
			return err
		}
		return addEvents(tx, events)
	})
	if err != nil {
		return step, fmt.Errorf("determine activation %s: %w", a.ID, err)
	}
	return step, nil
}

// logStep stores a step and appends it to the log.
func logStep(tx *sql.Tx, lg *logAppender, step store.GuaranteeStep) (store.GuaranteeStep, error) {
	leaf, err := lg.append(store.KindGuaranteeStep, step.ID, ledger.RecordHash(store.KindGuaranteeStep, step.Body))
	if err != nil {
		return step, err
	}
	res, err := tx.Exec(`INSERT INTO guarantee_steps (id, record, body, leaf) VALUES (?, ?, ?, ?)`, step.ID, step.Record, []byte(step.Body), int64(leaf))
	if err != nil {
		return step, fmt.Errorf("step %s: %w", step.ID, err)
	}
	step.Leaf = leaf
	step.Seq, err = res.LastInsertId()
	return step, err
}

// Obligation implements store.Activations.
func (db *DB) Obligation(ctx context.Context, id string) (store.ObligationRecord, error) {
	recs, err := db.queryObligations(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.ObligationRecord{}, fmt.Errorf("read obligation %q: %w", id, err)
	}
	if len(recs) == 0 {
		return store.ObligationRecord{}, fmt.Errorf("obligation %q: %w", id, store.ErrNotFound)
	}
	return recs[0], nil
}

// QueryObligations implements store.Activations.
func (db *DB) QueryObligations(ctx context.Context, q store.ObligationQuery) ([]store.ObligationRecord, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("query obligations: limit must be positive, got %d", q.Limit)
	}
	where, args := []string{"1"}, []any{}
	for _, f := range []struct{ column, value string }{{"guarantor", q.Guarantor}, {"activation", q.Activation}, {"state", string(q.State)}} {
		if f.value != "" {
			where, args = append(where, f.column+" = ?"), append(args, f.value)
		}
	}
	if q.NotMet {
		where, args = append(where, "state != ?"), append(args, string(trigger.Met))
	}
	recs, err := db.queryObligations(ctx, `WHERE `+strings.Join(where, " AND ")+` ORDER BY deadline, id LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("query obligations: %w", err)
	}
	return recs, nil
}

func (db *DB) queryObligations(ctx context.Context, tail string, args ...any) ([]store.ObligationRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, body FROM obligations `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ObligationRecord
	for rows.Next() {
		var r store.ObligationRecord
		var b []byte
		if err := rows.Scan(&r.Seq, &b); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &r.Obligation); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateObligation implements store.Activations.
func (db *DB) UpdateObligation(ctx context.Context, o trigger.Obligation, step store.GuaranteeStep, events []notify.Event) (store.GuaranteeStep, error) {
	body, err := json.Marshal(o)
	if err != nil {
		return step, fmt.Errorf("update obligation %s: %w", o.ID, err)
	}
	err = db.write(ctx, 2+len(events), func(tx *sql.Tx, lg *logAppender) error {
		seq, err := nextSeq(tx, "obligations")
		if err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE obligations SET seq = ?, state = ?, n = ?, body = ? WHERE id = ? AND n = ?`,
			seq, string(o.State), len(o.History), body, o.ID, len(o.History)-1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				var have int
				if qerr := tx.QueryRow(`SELECT n FROM obligations WHERE id = ?`, o.ID).Scan(&have); errors.Is(qerr, sql.ErrNoRows) {
					return fmt.Errorf("obligation %q: %w", o.ID, store.ErrNotFound)
				}
				err = fmt.Errorf("%w: another step of obligation %s was stored first", store.ErrConflict, o.ID)
			}
			return err
		}
		if step, err = logStep(tx, lg, step); err != nil {
			return err
		}
		return addEvents(tx, events)
	})
	if err != nil {
		return step, fmt.Errorf("update obligation %s: %w", o.ID, err)
	}
	return step, nil
}

// GuaranteeSteps implements store.Activations.
func (db *DB) GuaranteeSteps(ctx context.Context, record string) ([]store.GuaranteeStep, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, id, record, body, leaf FROM guarantee_steps WHERE record = ? ORDER BY seq`, record)
	if err != nil {
		return nil, fmt.Errorf("read steps of %q: %w", record, err)
	}
	defer rows.Close()
	var out []store.GuaranteeStep
	for rows.Next() {
		var s store.GuaranteeStep
		var leaf int64
		if err := rows.Scan(&s.Seq, &s.ID, &s.Record, &s.Body, &leaf); err != nil {
			return nil, fmt.Errorf("read steps of %q: %w", record, err)
		}
		s.Leaf = uint64(leaf)
		out = append(out, s)
	}
	return out, rows.Err()
}

// AddEvents implements store.Notifications.
func (db *DB) AddEvents(ctx context.Context, events []notify.Event) error {
	err := db.write(ctx, len(events), func(tx *sql.Tx, _ *logAppender) error {
		return addEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("add events: %w", err)
	}
	return nil
}

// addEvents stores the events not stored yet and, for each, a delivery to
// every webhook that wants it, due at the event's time.
func addEvents(tx *sql.Tx, events []notify.Event) error {
	if len(events) == 0 {
		return nil
	}
	hooks, err := readWebhooks(context.Background(), tx)
	if err != nil {
		return err
	}
	for _, ev := range events {
		data := ev.Data
		if len(data) == 0 {
			data = json.RawMessage("null")
		}
		res, err := tx.Exec(`INSERT INTO events (id, type, at, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, ev.ID, ev.Type, ev.At.UnixNano(), []byte(data))
		if err != nil {
			return fmt.Errorf("event %s: %w", ev.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("event %s: %w", ev.ID, err)
			}
			continue // stored already: its deliveries were made then
		}
		for _, d := range notify.Deliveries(ev, hooks, ev.At) {
			if _, err := tx.Exec(`INSERT INTO deliveries (id, webhook, event, attempts, next_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (id) DO NOTHING`,
				d.ID, d.Webhook.ID, ev.ID, d.NextAt.UnixNano()); err != nil {
				return fmt.Errorf("delivery %s: %w", d.ID, err)
			}
		}
	}
	return nil
}

// readWebhooks reads every webhook, by id.
func readWebhooks(ctx context.Context, q queryer) ([]notify.Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, url, secret, events, disabled FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read webhooks: %w", err)
	}
	defer rows.Close()
	var out []notify.Webhook
	for rows.Next() {
		var w notify.Webhook
		var events string
		if err := rows.Scan(&w.ID, &w.URL, &w.Secret, &events, &w.Disabled); err != nil {
			return nil, fmt.Errorf("read webhooks: %w", err)
		}
		if events != "" {
			w.Events = strings.Split(events, ",")
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// AddWebhook implements store.Notifications.
func (db *DB) AddWebhook(ctx context.Context, w notify.Webhook, created time.Time) (int64, error) {
	var id int64
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		res, err := tx.Exec(`INSERT INTO webhooks (url, secret, events, disabled, created_at) VALUES (?, ?, ?, ?, ?)`,
			w.URL, w.Secret, strings.Join(w.Events, ","), w.Disabled, created.UnixNano())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("add webhook: %w", err)
	}
	return id, nil
}

// ListWebhooks implements store.Notifications.
func (db *DB) ListWebhooks(ctx context.Context) ([]notify.Webhook, error) {
	return readWebhooks(ctx, db.r)
}

// SetWebhookDisabled implements store.Notifications.
func (db *DB) SetWebhookDisabled(ctx context.Context, id int64, disabled bool) error {
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		res, err := tx.Exec(`UPDATE webhooks SET disabled = ? WHERE id = ?`, disabled, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("webhook %d: %w", id, err)
	}
	return nil
}

// Due implements notify.Outbox: the deliveries due by now, earliest first,
// to webhooks that are not disabled.
func (db *DB) Due(ctx context.Context, now time.Time, limit int) ([]notify.Delivery, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT d.id, d.attempts, d.next_at, w.id, w.url, w.secret, w.events, e.id, e.type, e.at, e.data
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook JOIN events e ON e.id = d.event
		WHERE d.next_at <= ? AND NOT w.disabled ORDER BY d.next_at, e.seq LIMIT ?`, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	defer rows.Close()
	var out []notify.Delivery
	for rows.Next() {
		var d notify.Delivery
		var next, at int64
		var events string
		var data []byte
		if err := rows.Scan(&d.ID, &d.Attempts, &next, &d.Webhook.ID, &d.Webhook.URL, &d.Webhook.Secret, &events,
			&d.Event.ID, &d.Event.Type, &at, &data); err != nil {
			return nil, fmt.Errorf("due deliveries: %w", err)
		}
		if events != "" {
			d.Webhook.Events = strings.Split(events, ",")
		}
		d.NextAt, d.Event.At, d.Event.Data = time.Unix(0, next).UTC(), time.Unix(0, at).UTC(), data
		out = append(out, d)
	}
	return out, rows.Err()
}

// Record implements notify.Outbox.
func (db *DB) Record(ctx context.Context, a notify.Attempt, next time.Time) error {
	err := db.write(ctx, 2, func(tx *sql.Tx, _ *logAppender) error {
		if _, err := tx.Exec(`INSERT INTO delivery_attempts (delivery, webhook, event, event_type, n, at, status, error, duration_ns, done, gave_up)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Delivery, a.Webhook, a.Event, a.EventType, a.N, a.At.UnixNano(), a.Status, a.Error,
			int64(a.Duration), a.Done, a.GaveUp); err != nil {
			return err
		}
		if next.IsZero() {
			_, err := tx.Exec(`DELETE FROM deliveries WHERE id = ?`, a.Delivery)
			return err
		}
		_, err := tx.Exec(`UPDATE deliveries SET attempts = ?, next_at = ? WHERE id = ?`, a.N, next.UnixNano(), a.Delivery)
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery %s: %w", a.Delivery, err)
	}
	return nil
}

// DeliveryLog implements store.Notifications.
func (db *DB) DeliveryLog(ctx context.Context, webhook int64, limit int) ([]notify.Attempt, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT delivery, webhook, event, event_type, n, at, status, error, duration_ns, done, gave_up
		FROM delivery_attempts WHERE webhook = ? ORDER BY seq DESC LIMIT ?`, webhook, limit)
	if err != nil {
		return nil, fmt.Errorf("delivery log of webhook %d: %w", webhook, err)
	}
	defer rows.Close()
	var out []notify.Attempt
	for rows.Next() {
		var a notify.Attempt
		var at, d int64
		if err := rows.Scan(&a.Delivery, &a.Webhook, &a.Event, &a.EventType, &a.N, &at, &a.Status, &a.Error, &d, &a.Done, &a.GaveUp); err != nil {
			return nil, fmt.Errorf("delivery log of webhook %d: %w", webhook, err)
		}
		a.At, a.Duration = time.Unix(0, at).UTC(), time.Duration(d)
		out = append(out, a)
	}
	return out, rows.Err()
}

// EventsSince implements store.Notifications.
func (db *DB) EventsSince(ctx context.Context, after int64, limit int) ([]store.EventRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, id, type, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("events since %d: %w", after, err)
	}
	defer rows.Close()
	var out []store.EventRecord
	for rows.Next() {
		var r store.EventRecord
		var at int64
		var data []byte
		if err := rows.Scan(&r.Seq, &r.Event.ID, &r.Event.Type, &at, &data); err != nil {
			return nil, fmt.Errorf("events since %d: %w", after, err)
		}
		r.Event.At, r.Event.Data = time.Unix(0, at).UTC(), data
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastEventSeq implements store.Notifications.
func (db *DB) LastEventSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last event seq: %w", err)
	}
	return seq, nil
}
