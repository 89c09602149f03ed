package apidoc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/gateway/apidoc"
)

// TestDocumentIsValid: the document is a valid OpenAPI 3.1 document by
// kin-openapi's validator (structure, references, schemas, examples), and
// every operation has a summary, a tag and a documented error.
func TestDocumentIsValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(apidoc.YAML)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context))
	require.Equal(t, "3.1.0", doc.OpenAPI)
	require.True(t, doc.IsOpenAPI31OrLater())

	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			name := method + " " + path
			assert.NotEmpty(t, op.Summary, name)
			assert.Len(t, op.Tags, 1, name)
			if op.Tags[0] == "meta" || op.Tags[0] == "citizen" {
				continue
			}
			errs := 0
			for code := range op.Responses.Map() {
				if code[0] == '4' || code[0] == '5' {
					errs++
				}
			}
			assert.NotZero(t, errs, "%s documents no error", name)
		}
	}
	require.Greater(t, n, 30, "operations described")
}

// TestServed: the document is served as JSON and YAML without a
// credential, cacheable, and the JSON is the YAML's content.
func TestServed(t *testing.T) {
	h, err := apidoc.New()
	require.NoError(t, err)
	r := mux.NewRouter()
	h.Routes(r)
	for _, tc := range []struct{ path, contentType string }{
		{apidoc.PathJSON, "application/json"},
		{apidoc.PathYAML, "application/yaml"},
		{apidoc.PathApp, "application/yaml"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, tc.contentType, rec.Header().Get("Content-Type"))
			require.Equal(t, "public, max-age=3600", rec.Header().Get("Cache-Control"))
			etag := rec.Header().Get("ETag")
			require.NotEmpty(t, etag)

			loader := openapi3.NewLoader()
			doc, err := loader.LoadFromData(rec.Body.Bytes())
			require.NoError(t, err)
			require.NotNil(t, doc.Paths.Value("/admin/api/clients"))

			// Revalidation answers 304 without the body.
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Header.Set("If-None-Match", etag)
			rec = httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			require.Equal(t, http.StatusNotModified, rec.Code)
		})
	}
	b, err := apidoc.JSON()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Equal(t, "3.1.0", doc["openapi"])
}
