package server

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3 description of this API. The tests check that
// it names exactly the routes the server serves and that real responses
// validate against it.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
}
