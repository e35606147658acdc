package server

import (
	"bytes"
	"io"
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
