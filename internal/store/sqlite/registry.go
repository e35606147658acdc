package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// PutSensors implements store.Sensors.
func (db *DB) PutSensors(ctx context.Context, sensors []observe.Sensor) error {
	bodies := make([][]byte, len(sensors))
	for i, s := range sensors {
		b, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("put sensor %s: %w", s.ID, err)
		}
		bodies[i] = b
	}
	err := db.write(ctx, len(sensors), func(tx *sql.Tx, _ *logAppender) error {
		for i, s := range sensors {
			if _, err := tx.Exec(`INSERT INTO sensors (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body`, s.ID, bodies[i]); err != nil {
				return fmt.Errorf("put sensor %s: %w", s.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put sensors: %w", err)
	}
	return nil
}

// Sensor implements store.Sensors.
func (db *DB) Sensor(ctx context.Context, id string) (observe.Sensor, error) {
	var body []byte
	err := db.r.QueryRowContext(ctx, `SELECT body FROM sensors WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return observe.Sensor{}, fmt.Errorf("sensor %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return observe.Sensor{}, fmt.Errorf("read sensor %q: %w", id, err)
	}
	var s observe.Sensor
	if err := json.Unmarshal(body, &s); err != nil {
		return observe.Sensor{}, fmt.Errorf("decode sensor %q: %w", id, err)
	}
	return s, nil
}

// ListSensors implements store.Sensors.
func (db *DB) ListSensors(ctx context.Context) ([]observe.Sensor, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT body FROM sensors ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list sensors: %w", err)
	}
	defer rows.Close()
	var out []observe.Sensor
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("list sensors: %w", err)
		}
		var s observe.Sensor
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, fmt.Errorf("list sensors: decode: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// AddTerms implements store.TermsVersions.
func (db *DB) AddTerms(ctx context.Context, t terms.Terms) (store.TermsVersion, error) {
	body, err := json.Marshal(t)
	if err != nil {
		return store.TermsVersion{}, fmt.Errorf("add terms %s: %w", t.ID, err)
	}
	var v store.TermsVersion
	err = db.write(ctx, 1, func(tx *sql.Tx, lg *logAppender) error {
		var seq, loaded int64
		var last []byte
		var leaf int64
		err := tx.QueryRow(`SELECT seq, loaded_at, body, leaf FROM terms_versions ORDER BY seq DESC LIMIT 1`).Scan(&seq, &loaded, &last, &leaf)
		if err == nil && bytes.Equal(last, body) {
			v = store.TermsVersion{Seq: seq, LoadedAt: time.Unix(0, loaded).UTC(), Terms: t, Leaf: uint64(leaf)}
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := db.now().UTC()
		res, err := tx.Exec(`INSERT INTO terms_versions (terms_id, version, effective_from, loaded_at, body, leaf) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ID, t.Version, t.EffectiveFrom.UnixNano(), now.UnixNano(), body, int64(lg.tree.Size))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		index, err := lg.append(store.KindTerms, strconv.FormatInt(id, 10), ledger.RecordHash(store.KindTerms, body))
		if err != nil {
			return err
		}
		v = store.TermsVersion{Seq: id, LoadedAt: now, Terms: t, Leaf: index}
		return nil
	})
	if err != nil {
		return store.TermsVersion{}, fmt.Errorf("add terms %s version %s: %w", t.ID, t.Version, err)
	}
	return v, nil
}

// ListTerms implements store.TermsVersions.
func (db *DB) ListTerms(ctx context.Context) ([]store.TermsVersion, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, loaded_at, body, leaf FROM terms_versions ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("list terms: %w", err)
	}
	defer rows.Close()
	var out []store.TermsVersion
	for rows.Next() {
		var v store.TermsVersion
		var loaded, leaf int64
		var body []byte
		if err := rows.Scan(&v.Seq, &loaded, &body, &leaf); err != nil {
			return nil, fmt.Errorf("list terms: %w", err)
		}
		if err := json.Unmarshal(body, &v.Terms); err != nil {
			return nil, fmt.Errorf("list terms: decode version %d: %w", v.Seq, err)
		}
		v.LoadedAt, v.Leaf = time.Unix(0, loaded).UTC(), uint64(leaf)
		out = append(out, v)
	}
	return out, rows.Err()
}
