package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/store"
)

// IssueCheckpoint signs a checkpoint of the log as it is now and keeps it,
// unless the latest kept checkpoint already has this size. It returns the
// latest checkpoint either way.
func (s *Server) IssueCheckpoint(ctx context.Context) (store.StoredCheckpoint, error) {
	if s.cfg.LogSigner == nil {
		return store.StoredCheckpoint{}, errors.New("issue checkpoint: the server has no log signing key")
	}
	s.checkpointMu.Lock()
	defer s.checkpointMu.Unlock()
	latest, err := s.cfg.Store.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.StoredCheckpoint{}, fmt.Errorf("issue checkpoint: %w", err)
	}
	head, err := s.cfg.Store.LogHead(ctx)
	if err != nil {
		return store.StoredCheckpoint{}, fmt.Errorf("issue checkpoint: %w", err)
	}
	if latest.Note != nil && latest.Size == head.Size {
		return latest, nil
	}
	note, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: s.cfg.LogSigner.Name(), Size: head.Size, Root: head.Root}, s.cfg.LogSigner)
	if err != nil {
		return store.StoredCheckpoint{}, fmt.Errorf("issue checkpoint: %w", err)
	}
	cp := store.StoredCheckpoint{Size: head.Size, Root: head.Root, IssuedAt: s.now().UTC(), Note: note}
	if err := s.cfg.Store.AddCheckpoint(ctx, cp); err != nil {
		return store.StoredCheckpoint{}, fmt.Errorf("issue checkpoint: %w", err)
	}
	return cp, nil
}

// RunCheckpoints issues a checkpoint every interval until ctx ends, and
// one last when it ends, so that the log's final state is signed.
func (s *Server) RunCheckpoints(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if _, err := s.IssueCheckpoint(context.WithoutCancel(ctx)); err != nil {
				s.log.Error("final checkpoint", "err", err)
			}
			return
		case <-t.C:
			if _, err := s.IssueCheckpoint(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("checkpoint", "err", err)
			}
		}
	}
}

// getCheckpoint serves the latest signed checkpoint as a C2SP signed note.
func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.cfg.Store.LatestCheckpoint(r.Context())
	if err != nil {
		s.storeError(w, r, "checkpoint", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(cp.Note)
}

// getLogKey serves the note verifier key that signs the checkpoints.
func (s *Server) getLogKey(w http.ResponseWriter, r *http.Request) {
	if s.cfg.LogVerifierKey == "" {
		writeError(w, http.StatusNotFound, "the server has no log key")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.cfg.LogVerifierKey + "\n"))
}

// checkpointJSON is one kept checkpoint in a list.
type checkpointJSON struct {
	Size     uint64    `json:"size"`
	Root     []byte    `json:"root"`
	IssuedAt time.Time `json:"issued_at"`
	Note     string    `json:"note"`
}

// listCheckpoints lists every kept checkpoint, oldest first.
func (s *Server) listCheckpoints(w http.ResponseWriter, r *http.Request) {
	cps, err := s.cfg.Store.Checkpoints(r.Context())
	if err != nil {
		s.storeError(w, r, "checkpoints", err)
		return
	}
	out := make([]checkpointJSON, len(cps))
	for i, cp := range cps {
		out[i] = checkpointJSON{Size: cp.Size, Root: cp.Root, IssuedAt: cp.IssuedAt, Note: string(cp.Note)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkpoints": out})
}

// inclusionJSON is an inclusion proof: RFC 6962 audit path hashes, in
// standard base64 like the checkpoint's root.
type inclusionJSON struct {
	LeafIndex uint64   `json:"leaf_index"`
	TreeSize  uint64   `json:"tree_size"`
	LeafHash  []byte   `json:"leaf_hash"`
	Hashes    [][]byte `json:"hashes"`
}

// inclusionProof proves that a record, named by record (an observation id,
// or with kind=terms a terms version) or by leaf (its index), is in the tree
// of size leaves (by default the latest checkpoint's). A record the reader
// may not see is answered as not found; a proof by leaf index reveals only
// hashes.
func (s *Server) inclusionProof(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, err := s.sizeParam(r, q.Get("size"), "size")
	if err != nil {
		s.paramError(w, r, err)
		return
	}
	var index uint64
	switch rec, leaf := q.Get("record"), q.Get("leaf"); {
	case rec != "" && leaf != "":
		writeError(w, http.StatusBadRequest, "give record or leaf, not both")
		return
	case rec != "":
		index, err = s.recordLeaf(r, q.Get("kind"), rec)
		if err != nil {
			s.paramError(w, r, err)
			return
		}
	case leaf != "":
		if index, err = strconv.ParseUint(leaf, 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, "leaf %q: want a leaf index (0, 1, 2, ...)", leaf)
			return
		}
	default:
		writeError(w, http.StatusBadRequest, "give record (a record id) or leaf (a leaf index)")
		return
	}
	if index >= size {
		writeError(w, http.StatusBadRequest, "leaf %d is not in the tree of size %d; ask for a larger size once a checkpoint covers it", index, size)
		return
	}
	entry, err := s.cfg.Store.LogEntry(r.Context(), index)
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("log leaf %d", index), err)
		return
	}
	hashes, err := s.cfg.Store.InclusionProof(r.Context(), index, size)
	if err != nil {
		s.paramError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inclusionJSON{LeafIndex: index, TreeSize: size, LeafHash: entry.LeafHash, Hashes: nonNil(hashes)})
}

// consistencyJSON is a consistency proof between two tree sizes.
type consistencyJSON struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes [][]byte `json:"hashes"`
}

// consistencyProof proves that the tree of size from is a prefix of the
// tree of size to (by default the latest checkpoint's).
func (s *Server) consistencyProof(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("from") == "" {
		writeError(w, http.StatusBadRequest, "from is required: the size of the checkpoint you hold")
		return
	}
	from, err := strconv.ParseUint(q.Get("from"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "from %q: want a tree size (0, 1, 2, ...)", q.Get("from"))
		return
	}
	to, err := s.sizeParam(r, q.Get("to"), "to")
	if err != nil {
		s.paramError(w, r, err)
		return
	}
	hashes, err := s.cfg.Store.ConsistencyProof(r.Context(), from, to)
	if err != nil {
		s.paramError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, consistencyJSON{From: from, To: to, Hashes: nonNil(hashes)})
}

// errParam marks an error in a request's parameters.
var errParam = errors.New("bad parameter")

// sizeParam parses a tree size, or when it is empty returns the size of the
// latest checkpoint: proofs are asked against a signed root.
func (s *Server) sizeParam(r *http.Request, v, name string) (uint64, error) {
	if v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %s %q: want a tree size (0, 1, 2, ...)", errParam, name, v)
		}
		return n, nil
	}
	cp, err := s.cfg.Store.LatestCheckpoint(r.Context())
	if err != nil {
		return 0, fmt.Errorf("latest checkpoint: %w", err)
	}
	return cp.Size, nil
}

// recordLeaf finds the leaf of a record the reader may see.
func (s *Server) recordLeaf(r *http.Request, kind, id string) (uint64, error) {
	switch kind {
	case "", store.KindObservation:
		o, err := s.visibleObservation(r, id)
		if err != nil {
			return 0, err
		}
		return o.Leaf, nil
	case store.KindTerms:
		seq, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: terms record %q: want a terms version number", errParam, id)
		}
		for _, v := range s.termsVersions() {
			if v.Seq == seq {
				return v.Leaf, nil
			}
		}
		return 0, fmt.Errorf("terms version %d: %w", seq, store.ErrNotFound)
	}
	return 0, fmt.Errorf("%w: kind %q: want %s or %s", errParam, kind, store.KindObservation, store.KindTerms)
}

// paramError answers an error from a proof or its parameters: 400 for what
// the client asked wrongly, the store's answer otherwise.
func (s *Server) paramError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errParam) || errors.Is(err, store.ErrBadProofRequest) {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	s.storeError(w, r, "log", err)
}

func nonNil(h [][]byte) [][]byte {
	if h == nil {
		return [][]byte{}
	}
	return h
}
