package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/terms"
)

var candidateParams = []string{"from", "to", "type", "party", "severity", "limit", "cursor"}

// listCandidates answers GET /api/v1/candidates: the candidate violations
// the reader may see, in the order of the analysts' queue (gravest, then
// oldest, first), as a FeatureCollection.
func (s *Server) listCandidates(w http.ResponseWriter, r *http.Request) {
	listFeatures(s, w, r, "candidates", parseCandidateQuery, func(ctx context.Context, q store.CandidateQuery, vis *label.Visibility) ([][]byte, string, error) {
		q.Visible = vis
		page, err := s.cfg.Store.QueryCandidates(ctx, q)
		features := make([][]byte, len(page.Candidates))
		for i, c := range page.Candidates {
			features[i] = c.Feature
		}
		next := ""
		if page.Next != nil {
			next = encodeCandidateCursor(*page.Next)
		}
		return features, next, err
	})
}

// parseCandidateQuery reads the parameters of GET /api/v1/candidates.
func parseCandidateQuery(v url.Values) (store.CandidateQuery, error) {
	var q store.CandidateQuery
	for k := range v {
		if !slices.Contains(candidateParams, k) {
			return q, fmt.Errorf("unknown parameter %q (known: %s)", k, strings.Join(candidateParams, ", "))
		}
	}
	var err error
	if _, q.From, q.To, err = parseWhereWhen(url.Values{"from": v["from"], "to": v["to"]}); err != nil {
		return q, err
	}
	if sev := v.Get("severity"); sev != "" && !slices.Contains(terms.Severities, sev) {
		return q, fmt.Errorf("severity: unknown severity %q (known: %s)", sev, strings.Join(terms.Severities, ", "))
	}
	q.Type, q.Party, q.Severity = v.Get("type"), v.Get("party"), v.Get("severity")
	if q.Limit, err = parseLimit(v); err != nil {
		return q, err
	}
	if c := v.Get("cursor"); c != "" {
		cur, err := decodeCandidateCursor(c)
		if err != nil {
			return q, err
		}
		q.After = &cur
	}
	return q, nil
}

// A candidate cursor is the rank of the severity, the time and the id of
// the last candidate returned.
func encodeCandidateCursor(c store.CandidateCursor) string {
	rank := slices.Index(terms.Severities, c.Severity)
	return encodeCursorParts(strconv.Itoa(rank), strconv.FormatInt(c.Time.UnixNano(), 10), c.ID)
}

func decodeCandidateCursor(s string) (store.CandidateCursor, error) {
	ints, id, err := cursorParts(s, 3)
	if err != nil {
		return store.CandidateCursor{}, err
	}
	if ints[0] < 0 || ints[0] >= int64(len(terms.Severities)) {
		return store.CandidateCursor{}, fmt.Errorf("cursor: %q is not a cursor returned by this server", s)
	}
	return store.CandidateCursor{Severity: terms.Severities[ints[0]], Time: time.Unix(0, ints[1]).UTC(), ID: id}, nil
}

// getCandidate answers GET /api/v1/candidates/{id}: one candidate.
func (s *Server) getCandidate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.cfg.Store.Candidate(r.Context(), id, s.visibility(r))
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("candidate %q", id), err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(append(c.Feature, '\n'))
}

// streamCandidates answers GET /api/v1/candidates/stream: the queue as
// server-sent events, one "candidate" event per candidate found or changed.
func (s *Server) streamCandidates(w http.ResponseWriter, r *http.Request) {
	s.streamEvents(w, r, "candidate", s.cfg.Store.LastCandidateSeq,
		func(ctx context.Context, after int64, vis *label.Visibility) ([]streamed, error) {
			recs, err := s.cfg.Store.CandidatesSince(ctx, after, vis, MaxLimit)
			out := make([]streamed, len(recs))
			for i, c := range recs {
				out[i] = streamed{c.Seq, c.Feature}
			}
			return out, err
		})
}
