package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/redisgrade/redisgrade/internal/redistest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/redisgrade/redisgrade/play"
	"github.com/redisgrade/redisgrade/queue"
	"github.com/redisgrade/redisgrade/report"
)

// apiDoc is openapi.json, loaded and validated once as an OpenAPI 3.1 document.
var apiDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPI)
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi.json is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
})

var apiRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := apiDoc()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

func init() {
	// JUnit reports: kin-openapi decodes text/plain and text/csv, not XML.
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
}

// checkedTransport sends a request and checks it and its answer against
// openapi.json: every answer must be one the document describes (status,
// headers, body), and every request the server accepted (2xx) must be one
// the document allows. Every test's requests through do() go through it.
type checkedTransport struct{}

func (checkedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if play.Serves(req.URL.Path) {
		// The page's own API is not the grading API's: play tests it.
		return http.DefaultTransport.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := checkAgainstAPI(req, reqBody, resp, respBody); err != nil {
		return nil, fmt.Errorf("%s %s -> %d does not match openapi.json: %w\n%s", req.Method, req.URL.RequestURI(), resp.StatusCode, err, respBody)
	}
	return resp, nil
}

func checkAgainstAPI(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	doc, err := apiDoc()
	if err != nil {
		return err
	}
	router, err := apiRouter()
	if err != nil {
		return err
	}
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(check)
	if err != nil {
		// No route: the answer is the JSON error for it.
		want := http.StatusNotFound
		if err == routers.ErrMethodNotAllowed {
			want = http.StatusMethodNotAllowed
		}
		if resp.StatusCode != want {
			return fmt.Errorf("a request the document has no operation for (%v) got %d, want %d", err, resp.StatusCode, want)
		}
		return visitSchema(doc, "Error", resp.Header, respBody)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: opts}
	if resp.StatusCode/100 == 2 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("the server accepted a request the document does not allow: %w", err)
		}
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: opts,
	})
	if err != nil {
		return err
	}
	// The document allows any JSON object for the formats of other
	// platforms; the default format must be a Report.
	if format := req.URL.Query().Get("format"); route.Operation.OperationID == "grade" && resp.StatusCode == http.StatusOK && (format == "" || format == "json") {
		return visitSchema(doc, "Report", resp.Header, respBody)
	}
	return nil
}

func visitSchema(doc *openapi3.T, name string, header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json (a %s)", ct, name)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return doc.Components.Schemas[name].Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors())
}

// TestOpenAPIDocument: GET /openapi.json serves the document, without a
// token; it is OpenAPI 3.1, describes exactly the server's routes, and lists
// exactly the report formats there are.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 1, Token: token})
	r := do(t, http.MethodGet, ts.URL+"/openapi.json", "", "", nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, openAPI) {
		t.Fatalf("GET /openapi.json: %d, %d bytes", r.status, len(r.body))
	}

	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	queued, err := New(Config{Queue: &queue.Queue{}})
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for pattern := range queued.routes() {
		served = append(served, pattern)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("openapi.json documents %q; the server serves %q", documented, served)
	}

	for _, path := range []string{"/v1/grade", "/v1/jobs/{id}"} {
		var enum []string
		for _, p := range doc.Paths.Value(path).Operations()[strings.ToUpper(map[string]string{"/v1/grade": "post", "/v1/jobs/{id}": "get"}[path])].Parameters {
			if p.Value.Name == "format" {
				for _, e := range p.Value.Schema.Value.Enum {
					enum = append(enum, e.(string))
				}
			}
		}
		if formats := report.Formats(); !slices.Equal(enum, formats) {
			t.Errorf("%s: openapi.json's formats %q, the report package's %q", path, enum, formats)
		}
	}
}

// TestErrorsAreJSON: an unknown route and a wrong method get JSON errors
// too (net/http's own are text), and a wrong method names the right one.
func TestErrorsAreJSON(t *testing.T) {
	ts := startServer(t, Config{Engine: redistest.ProcessEngine(t), Jobs: 1, Token: token})
	for _, tt := range []struct {
		method, path string
		status       int
		msg, allow   string
	}{
		{http.MethodGet, "/v1/nope", 404, "no route GET /v1/nope", ""},
		{http.MethodGet, "/nope", 404, "no route GET /nope", ""},
		{http.MethodGet, "/v1/jobs/" + queue.NewJobID(), 404, "no route", ""},
		{http.MethodGet, "/v1/grade", 405, "GET /v1/grade: this route takes POST", "POST"},
		{http.MethodDelete, "/v1/exercises", 405, "this route takes GET, HEAD", "GET, HEAD"},
		{http.MethodPost, "/healthz", 405, "this route takes GET, HEAD", "GET, HEAD"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, tt.method, ts.URL+tt.path, token, "", nil)
			if r.status != tt.status || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s (Content-Type %q), want %d in JSON", r, r.header.Get("Content-Type"), tt.status)
			}
			m := r.json(t)
			if msg, _ := m["error"].(string); !strings.Contains(msg, tt.msg) || m["status"] != float64(tt.status) {
				t.Errorf("error %v, want it to say %q", m, tt.msg)
			}
			if got := r.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}
