package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store"
)

// maxRegistryBody bounds the body of sensor and terms uploads (terms.go).
const maxRegistryBody = 32 << 20

// SensorsResult is the answer to a POST of sensors.
type SensorsResult struct {
	// Accepted counts sensors stored (added or replaced).
	Accepted int `json:"accepted"`
	// Rejected counts sensors refused for the reasons in Errors.
	Rejected int `json:"rejected"`
	// Errors lists what was wrong, one entry per field problem.
	Errors []ItemError `json:"errors"`
}

// postSensors registers sensors: a JSON array of sensors. Valid ones are
// stored (replacing a sensor with the same id); invalid ones are listed.
func (s *Server) postSensors(w http.ResponseWriter, r *http.Request) {
	body, ok := readAll(w, r, maxRegistryBody)
	if !ok {
		return
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be a JSON array of sensors: %v", err)
		return
	}
	res := SensorsResult{Errors: []ItemError{}}
	var good []observe.Sensor
	for i, raw := range raws {
		var sn observe.Sensor
		if err := observe.UnmarshalStrict(raw, &sn); err != nil {
			res.Rejected++
			fe := observe.JSONError(err)
			res.Errors = append(res.Errors, ItemError{Index: i, Field: fe.Field, Reason: fe.Reason})
			continue
		}
		sn.Releasability = sn.Releasability.Normalize()
		if errs := observe.CheckSensor(sn, s.cfg.Scheme); len(errs) > 0 {
			res.Rejected++
			for _, e := range errs {
				res.Errors = append(res.Errors, ItemError{Index: i, ID: sn.ID, Field: e.Field, Reason: e.Reason})
			}
			continue
		}
		good = append(good, sn)
	}
	if len(good) > 0 {
		if err := s.cfg.Store.PutSensors(r.Context(), good); err != nil {
			s.storeError(w, r, "sensors", err)
			return
		}
		signal(s.fusion.rebuild) // acoustic detections are located from the registry
	}
	res.Accepted = len(good)
	status := http.StatusOK
	if res.Accepted == 0 && res.Rejected > 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, res)
}

func (s *Server) listSensors(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Store.ListSensors(r.Context())
	if err != nil {
		s.storeError(w, r, "sensors", err)
		return
	}
	v := s.visibility(r)
	visible := []observe.Sensor{}
	for _, sn := range list {
		if v.Allows(sn.Releasability) {
			visible = append(visible, sn)
		}
	}
	writeJSON(w, http.StatusOK, visible)
}

func (s *Server) getSensor(w http.ResponseWriter, r *http.Request) {
	sn, err := s.cfg.Store.Sensor(r.Context(), r.PathValue("id"))
	if err == nil && !s.visibility(r).Allows(sn.Releasability) {
		err = fmt.Errorf("sensor %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	if err != nil {
		s.storeError(w, r, fmt.Sprintf("sensor %q", r.PathValue("id")), err)
		return
	}
	writeJSON(w, http.StatusOK, sn)
}

// readAll reads a bounded body, answering 413 when it is too large.
func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "body is larger than the limit of %d bytes", limit)
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "body is larger than the limit of %d bytes", limit)
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "reading the body: %v", err)
		return nil, false
	}
	return b, true
}
