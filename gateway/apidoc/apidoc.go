package apidoc

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"
)

// YAML is the document as written.
//
//go:embed openapi.yaml
var YAML []byte

// Paths where the document is served. PathApp is where the app's first
// description was served; it now answers the whole document.
const (
	PathJSON = "/openapi.json"
	PathYAML = "/openapi.yaml"
	PathApp  = "/api/app/v1/openapi.yaml"
)

// JSON returns the document as JSON.
func JSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(YAML, &doc); err != nil {
		return nil, fmt.Errorf("apidoc: parse openapi.yaml: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("apidoc: encode openapi.json: %w", err)
	}
	return b, nil
}

// Handler serves the document: public, no credential, cacheable (an hour,
// with an ETag for revalidation).
type Handler struct {
	json []byte
}

// New parses the embedded document once.
func New() (*Handler, error) {
	b, err := JSON()
	if err != nil {
		return nil, err
	}
	return &Handler{json: b}, nil
}

// Routes implements server.Mounter.
func (h *Handler) Routes(r *mux.Router) {
	started := time.Now()
	r.Handle(PathJSON, serve("application/json", h.json, started)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathYAML, serve("application/yaml", YAML, started)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathApp, serve("application/yaml", YAML, started)).Methods(http.MethodGet, http.MethodHead)
}

func serve(contentType string, body []byte, modified time.Time) http.Handler {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("ETag", etag)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		http.ServeContent(w, r, "", modified, bytes.NewReader(body))
	})
}
