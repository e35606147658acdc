package audit

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/ledger"
)

// testLog is a log of records, with every node, as a ledger.NodeFunc.
type testLog struct {
	nodes map[[2]uint64][]byte
	tree  ledger.Tree
}

func newTestLog(t *testing.T, prefix string, n int) *testLog {
	t.Helper()
	l := &testLog{nodes: map[[2]uint64][]byte{}}
	for i := range n {
		_, nodes, err := l.tree.Append(ledger.RecordHash("observation", fmt.Appendf(nil, "%s-%d", prefix, i)))
		if err != nil {
			t.Fatal(err)
		}
		for _, nd := range nodes {
			l.nodes[[2]uint64{uint64(nd.Level), nd.Index}] = nd.Hash
		}
	}
	return l
}

func (l *testLog) node(level uint, index uint64) ([]byte, error) {
	h, ok := l.nodes[[2]uint64{uint64(level), index}]
	if !ok {
		return nil, fmt.Errorf("no node (%d, %d)", level, index)
	}
	return h, nil
}

func (l *testLog) checkpoint(t *testing.T, origin string, size uint64) ledger.Checkpoint {
	t.Helper()
	root, err := ledger.RootAt(size, l.node)
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Checkpoint{Origin: origin, Size: size, Root: root}
}

func (l *testLog) proof(t *testing.T, from, to uint64) [][]byte {
	t.Helper()
	p, err := ledger.ConsistencyProof(from, to, l.node)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckExtension(t *testing.T) {
	const origin = "audit.example/log"
	log := newTestLog(t, "a", 50)
	other := newTestLog(t, "b", 60)
	tests := []struct {
		name         string
		kept, latest ledger.Checkpoint
		proof        [][]byte
		err          string // "" for none
	}{
		{"grown", log.checkpoint(t, origin, 20), log.checkpoint(t, origin, 50), log.proof(t, 20, 50), ""},
		{"unchanged", log.checkpoint(t, origin, 50), log.checkpoint(t, origin, 50), nil, ""},
		{"from empty", log.checkpoint(t, origin, 0), log.checkpoint(t, origin, 50), nil, ""},
		{"another log", log.checkpoint(t, origin, 20), log.checkpoint(t, "elsewhere/log", 50), log.proof(t, 20, 50), `is of the log "elsewhere/log"`},
		{"rolled back", log.checkpoint(t, origin, 50), log.checkpoint(t, origin, 20), nil, "the log now has 20 leaves, fewer than the 50"},
		{"rewritten", log.checkpoint(t, origin, 20), other.checkpoint(t, origin, 60), other.proof(t, 20, 60), "fails (it does not lead to both signed roots): the first 20 leaves are not those the kept checkpoint signed"},
		{"changed at the same size", log.checkpoint(t, origin, 50), newTestLog(t, "c", 50).checkpoint(t, origin, 50), nil, "the first 50 leaves are not those"},
		{"short proof", log.checkpoint(t, origin, 20), log.checkpoint(t, origin, 50), log.proof(t, 20, 50)[1:], "the consistency proof from size 20 to 50 fails"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckExtension(tt.kept, tt.latest, tt.proof)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("CheckExtension: %v", err)
			case tt.err != "" && (!errors.Is(err, ErrNotExtension) || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("CheckExtension = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestOpenCheckpoint(t *testing.T) {
	skey, vkey, err := ledger.NewKey(rand.Reader, "audit.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := ledger.NewKey(rand.Reader, "audit.example/log")
	if err != nil {
		t.Fatal(err)
	}
	cp := newTestLog(t, "a", 5).checkpoint(t, "audit.example/log", 5)
	sign := func(cp ledger.Checkpoint) []byte {
		msg, err := ledger.SignCheckpoint(cp, signer)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	elsewhere := cp
	elsewhere.Origin = "elsewhere/log"
	tests := []struct {
		name string
		msg  []byte
		vkey string
		err  string
	}{
		{"good", sign(cp), vkey, ""},
		{"another key", sign(cp), otherKey, "no verifiable signatures"},
		{"another log", sign(elsewhere), vkey, `names another log, "elsewhere/log"`},
		{"bad key", sign(cp), "nonsense", "verifier key"},
		{"not a note", []byte("hello"), vkey, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenCheckpoint(tt.msg, tt.vkey)
			if tt.err == "" {
				if err != nil || got.Size != 5 {
					t.Errorf("OpenCheckpoint = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("OpenCheckpoint: %v, want %q", err, tt.err)
			}
		})
	}
}
