package server

import (
	"bytes"
	"io"
	"net/url"
	"testing"
)

// FuzzItemReaders feeds arbitrary bodies to both body readers: they must
// never panic, must end, and must number items 0, 1, 2… in order.
func FuzzItemReaders(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature"},{"a":1}]}`), true)
	f.Add([]byte("{\"type\":\"Feature\"}\n\n{bad\n"), false)
	f.Add([]byte(`{"features":[1,2,3],"type":"FeatureCollection","bbox":[0,0,1,1]}`), true)
	f.Add([]byte(`{"type":"FeatureCollection","features":[`), true)
	f.Fuzz(func(t *testing.T, body []byte, collection bool) {
		ct := "application/x-ndjson"
		if collection {
			ct = "application/geo+json"
		}
		r, err := newItemReader(ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for want := 0; ; want++ {
			if want > len(body)+1 {
				t.Fatalf("more items than bytes: the reader does not end")
			}
			it, err := r.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, ok := err.(*streamError); !ok {
					t.Fatalf("error of type %T: %v", err, err)
				}
				return
			}
			if it.index != want {
				t.Fatalf("item numbered %d, want %d", it.index, want)
			}
		}
	})
}

// FuzzParseQuery feeds arbitrary query strings to the observation query
// parser: it must never panic, and what it accepts must be a sane query.
func FuzzParseQuery(f *testing.F) {
	f.Add("bbox=37,47.5,38.5,48.5&from=2026-11-21T00:00:00Z&to=2026-11-21T03:00:00Z&kind=acoustic&limit=2")
	f.Add("bbox=179,0,-179,20&cursor=MTc5NTIxOTM5NTQ5MTk1ODM5Mzo2Ng")
	f.Add("limit=1000&source=AS-017")
	f.Add("bbox=nan,1,2,3")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseQuery(v)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if q.Limit < 1 || q.Limit > MaxLimit {
			t.Fatalf("accepted limit %d", q.Limit)
		}
		if b := q.BBox; b != nil && (b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90) {
			t.Fatalf("accepted box %v", *b)
		}
		if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
			t.Fatalf("accepted from %v not before to %v", q.From, q.To)
		}
	})
}
