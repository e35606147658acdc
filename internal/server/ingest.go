package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
)

// IngestResult is the answer to a POST of observations.
type IngestResult struct {
	// Accepted counts observations stored by this request.
	Accepted int `json:"accepted"`
	// Duplicates counts observations whose id was already stored.
	Duplicates int `json:"duplicates"`
	// Rejected counts observations refused for the reasons in Errors.
	Rejected int `json:"rejected"`
	// Errors lists what was wrong, one entry per field problem, at most
	// MaxListedErrors of them.
	Errors []ItemError `json:"errors"`
	// ErrorsTruncated is true when more problems were found than listed.
	ErrorsTruncated bool `json:"errors_truncated,omitempty"`
	// Error is set when the request stopped early: the body ended in
	// malformed JSON, was too large, or the store failed. Everything counted
	// as accepted before that was stored.
	Error string `json:"error,omitempty"`
}

// ItemError is one problem with one observation of a request.
type ItemError struct {
	// Index is the observation's position in the request, from 0: its line
	// among the non-blank lines of NDJSON, or its place in "features".
	Index int `json:"index"`
	// ID is the observation's id, when it could be read.
	ID string `json:"id,omitempty"`
	// Field is the path of the field at fault, such as
	// "properties.source.grading"; empty when the item as a whole is.
	Field string `json:"field"`
	// Reason says what is wrong, in words a sender can act on.
	Reason string `json:"reason"`
}

// rawItem is one observation's bytes as read from a body.
type rawItem struct {
	index int
	data  []byte
	// problem is set when the item could not be read at all (a line too long).
	problem *observe.FieldError
}

// itemReader yields a body's observations one at a time. next returns io.EOF
// at the end; any other error means the body cannot be read further.
type itemReader interface {
	next() (rawItem, error)
	// wellFormedEmpty reports, at the end, whether a body with no items
	// was nevertheless a valid container (a FeatureCollection with an
	// empty "features"), which is answered 200 rather than 400.
	wellFormedEmpty() bool
}

// streamError is an error that ends reading a body, with its HTTP status.
type streamError struct {
	status int
	msg    string
}

func (e *streamError) Error() string { return e.msg }

func (s *Server) postObservations(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.cfg.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "body of %d bytes is larger than the limit of %d bytes; split it into several requests", r.ContentLength, s.cfg.MaxBody)
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		// Field links are slow; gateways may compress. The limit applies
		// to what the body expands to as well as to what is sent.
		zr, err := gzip.NewReader(body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Content-Encoding gzip: %v", err)
			return
		}
		defer zr.Close()
		body = http.MaxBytesReader(w, zr, s.cfg.MaxBody)
	default:
		writeError(w, http.StatusUnsupportedMediaType, "Content-Encoding %q is not accepted: send gzip or nothing", enc)
		return
	}
	items, err := newItemReader(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeError(w, http.StatusUnsupportedMediaType, "%v", err)
		return
	}
	res, status := s.ingest(r.Context(), who(r).user.Name, items)
	writeJSON(w, status, res)
}

// newItemReader picks the reader for a content type: NDJSON, or a GeoJSON
// FeatureCollection.
func newItemReader(contentType string, body io.Reader) (itemReader, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mt, err = "application/geo+json", nil
	}
	if err != nil {
		return nil, fmt.Errorf("Content-Type %q: %v", contentType, err)
	}
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl":
		return &ndjsonReader{r: bufio.NewReaderSize(body, 64<<10)}, nil
	case "application/geo+json", "application/json":
		budget := &budgetReader{r: body}
		return &collectionReader{dec: json.NewDecoder(budget), budget: budget}, nil
	}
	return nil, fmt.Errorf("Content-Type %q is not accepted: send application/x-ndjson (one GeoJSON Feature a line) or application/geo+json (a FeatureCollection)", mt)
}

// ingest reads every item, validates it, and commits the valid ones in
// chunks while the next chunk is being read. It returns the result and the
// HTTP status to answer with. submitter is the user who sent them.
func (s *Server) ingest(ctx context.Context, submitter string, items itemReader) (IngestResult, int) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	chunks := make(chan []observe.Observation, 1)
	var parsed parseResult
	go func() {
		defer close(chunks)
		parsed = s.parse(ctx, items, chunks)
	}()

	var res IngestResult
	var storeErr error
	for chunk := range chunks {
		if storeErr != nil {
			continue // drain, so the parser can finish
		}
		outcomes, err := s.cfg.Store.AddObservations(ctx, submitter, chunk)
		if err != nil {
			storeErr = err
			cancel()
			continue
		}
		for _, o := range outcomes {
			if o == store.Added {
				res.Accepted++
			} else {
				res.Duplicates++
			}
		}
		signal(s.fusion.wake)
	}
	res.Rejected, res.Errors, res.ErrorsTruncated = parsed.rejected, parsed.errors, parsed.truncated
	if res.Errors == nil {
		res.Errors = []ItemError{}
	}
	switch {
	case storeErr != nil:
		if errors.Is(storeErr, context.Canceled) && parsed.fatal == nil {
			res.Error = "request cancelled"
			return res, http.StatusServiceUnavailable
		}
		s.log.Error("ingest: store failed", "err", storeErr)
		res.Error = fmt.Sprintf("the store failed after %d observations were accepted: %v", res.Accepted, storeErr)
		return res, http.StatusServiceUnavailable
	case parsed.fatal != nil:
		res.Error = parsed.fatal.msg
		return res, parsed.fatal.status
	case parsed.items == 0 && !items.wellFormedEmpty():
		res.Error = "the body holds no observations"
		return res, http.StatusBadRequest
	case parsed.items == 0:
		return res, http.StatusOK
	case res.Accepted+res.Duplicates == 0:
		return res, http.StatusUnprocessableEntity
	}
	return res, http.StatusOK
}

type parseResult struct {
	items     int
	rejected  int
	errors    []ItemError
	truncated bool
	fatal     *streamError
}

func (p *parseResult) reject(index int, id string, errs []observe.FieldError) {
	p.rejected++
	for _, e := range errs {
		if len(p.errors) >= MaxListedErrors {
			p.truncated = true
			return
		}
		p.errors = append(p.errors, ItemError{Index: index, ID: id, Field: e.Field, Reason: e.Reason})
	}
}

// parse reads and validates items, sending valid ones in chunks of ChunkSize.
func (s *Server) parse(ctx context.Context, items itemReader, out chan<- []observe.Observation) parseResult {
	var p parseResult
	checks := observe.Checks{MaxFuture: s.cfg.MaxFuture, Scheme: s.cfg.Scheme}
	chunk := make([]observe.Observation, 0, ChunkSize)
	send := func() bool {
		if len(chunk) == 0 {
			return true
		}
		select {
		case out <- chunk:
			chunk = make([]observe.Observation, 0, ChunkSize)
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		it, err := items.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.fatal = asStreamError(err)
			break
		}
		p.items++
		if it.problem != nil {
			p.reject(it.index, "", []observe.FieldError{*it.problem})
			continue
		}
		checks.Now = s.now()
		o, errs := observe.Decode(it.data, checks)
		if len(errs) == 0 && o.WeaponClass() != "" {
			// A weapon class is one of the terms in force when it was seen.
			errs = observe.Check(o, observe.Checks{WeaponClasses: s.weaponClasses(o.ObservedAt), Scheme: s.cfg.Scheme})
		}
		if len(errs) > 0 {
			p.reject(it.index, o.ID, errs)
			continue
		}
		chunk = append(chunk, o)
		if len(chunk) == ChunkSize && !send() {
			return p
		}
	}
	send()
	return p
}

func asStreamError(err error) *streamError {
	var se *streamError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &mbe):
		return &streamError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than the limit of %d bytes; the observations before the limit were processed", mbe.Limit)}
	}
	return &streamError{http.StatusBadRequest, "reading the body: " + err.Error()}
}

// ndjsonReader reads one Feature per line, skipping blank lines.
type ndjsonReader struct {
	r     *bufio.Reader
	index int
	buf   []byte
}

func (n *ndjsonReader) next() (rawItem, error) {
	for {
		line, tooLong, err := n.readLine()
		if err != nil && (err != io.EOF || len(line) == 0 && !tooLong) {
			return rawItem{}, err
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				return rawItem{}, io.EOF
			}
			continue
		}
		it := rawItem{index: n.index, data: line}
		n.index++
		if tooLong {
			it.problem = &observe.FieldError{Reason: fmt.Sprintf("line is longer than %d bytes", MaxFeatureBytes)}
		}
		return it, nil
	}
}

func (n *ndjsonReader) wellFormedEmpty() bool { return false }

// readLine returns the next line without its newline. A line longer than
// MaxFeatureBytes is skipped to its end and reported as too long.
func (n *ndjsonReader) readLine() (line []byte, tooLong bool, err error) {
	n.buf = n.buf[:0]
	for {
		frag, err := n.r.ReadSlice('\n')
		if !tooLong {
			if len(n.buf)+len(frag) > MaxFeatureBytes+1 {
				tooLong, n.buf = true, n.buf[:0]
			} else {
				n.buf = append(n.buf, frag...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(n.buf, []byte("\n")), tooLong, err
	}
}

// collectionReader streams the members of a FeatureCollection's "features"
// array without holding the whole body.
type collectionReader struct {
	dec *json.Decoder
	// budget bounds what the decoder may read for one item, so that one
	// huge feature cannot make it buffer the whole body.
	budget  *budgetReader
	started bool
	inArray bool
	index   int
	sawType bool
	// sawFeatures is set once the "features" array has been opened.
	sawFeatures bool
}

func (c *collectionReader) wellFormedEmpty() bool { return c.sawType && c.sawFeatures }

// budgetReader reads from r until the budget set by allow is spent, then
// fails with errItemTooLarge.
type budgetReader struct {
	r    io.Reader
	left int
}

// errItemTooLarge ends a FeatureCollection whose member is too large to read.
var errItemTooLarge = errors.New("item too large")

// allow gives the reader n more bytes to read from now on.
func (b *budgetReader) allow(n int) { b.left = n }

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errItemTooLarge
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}

// decoderSlack is what json.Decoder may read ahead of the value it decodes.
const decoderSlack = 64 << 10

func (c *collectionReader) next() (rawItem, error) {
	c.budget.allow(MaxFeatureBytes + decoderSlack)
	it, err := c.read()
	if errors.Is(err, errItemTooLarge) {
		return rawItem{}, &streamError{http.StatusRequestEntityTooLarge, fmt.Sprintf("feature %d (or a member before it) is larger than %d bytes; the features before it were processed", c.index, MaxFeatureBytes)}
	}
	return it, err
}

func (c *collectionReader) read() (rawItem, error) {
	if !c.started {
		c.started = true
		tok, err := c.dec.Token()
		if err == io.EOF {
			return rawItem{}, io.EOF
		}
		if err != nil {
			return rawItem{}, syntaxError(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return rawItem{}, &streamError{http.StatusBadRequest, "the body must be a GeoJSON FeatureCollection object (or send NDJSON with Content-Type application/x-ndjson)"}
		}
	}
	for {
		if c.inArray {
			if c.dec.More() {
				var raw json.RawMessage
				if err := c.dec.Decode(&raw); err != nil {
					return rawItem{}, syntaxError(err)
				}
				it := rawItem{index: c.index, data: raw}
				c.index++
				if len(raw) > MaxFeatureBytes {
					it.problem = &observe.FieldError{Reason: fmt.Sprintf("feature is longer than %d bytes", MaxFeatureBytes)}
				}
				return it, nil
			}
			if _, err := c.dec.Token(); err != nil { // the closing ]
				return rawItem{}, syntaxError(err)
			}
			c.inArray = false
		}
		tok, err := c.dec.Token()
		if err != nil {
			return rawItem{}, syntaxError(err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			if !c.sawType {
				return rawItem{}, &streamError{http.StatusBadRequest, `the FeatureCollection has no "type" member`}
			}
			if _, err := c.dec.Token(); err != io.EOF {
				return rawItem{}, &streamError{http.StatusBadRequest, "unexpected data after the FeatureCollection"}
			}
			return rawItem{}, io.EOF
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			var t any
			if err := c.dec.Decode(&t); err != nil {
				return rawItem{}, syntaxError(err)
			}
			if t != "FeatureCollection" {
				return rawItem{}, &streamError{http.StatusBadRequest, fmt.Sprintf(`"type" must be the string "FeatureCollection", got %v; send one Feature as a FeatureCollection of one, or as NDJSON`, jsonText(t))}
			}
			c.sawType = true
		case "features":
			tok, err := c.dec.Token()
			if err != nil {
				return rawItem{}, syntaxError(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return rawItem{}, &streamError{http.StatusBadRequest, `"features" must be an array`}
			}
			c.inArray, c.sawFeatures = true, true
		default: // other members (bbox, links, numberReturned…) are ignored
			var skip json.RawMessage
			if err := c.dec.Decode(&skip); err != nil {
				return rawItem{}, syntaxError(err)
			}
		}
	}
}

// jsonText renders a decoded JSON value for a message.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) > 80 {
		return "another value"
	}
	return string(b)
}

func syntaxError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, errItemTooLarge) {
		return err
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &streamError{http.StatusBadRequest, "malformed JSON: the body ends before the FeatureCollection does"}
	}
	return &streamError{http.StatusBadRequest, "malformed JSON: " + err.Error()}
}
