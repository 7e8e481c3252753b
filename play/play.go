// Package play is the web page where a student works an exercise in the
// browser (redisgrade play, and / of redisgrade serve): the catalog, then an
// exercise's steps, each with an editor for its file, graded by the real
// grader with the same teaching feedback as `redisgrade check`, the hint
// ladder of `redisgrade hint` and the race of `redisgrade demo`.
//
// The page and its assets (a CodeMirror bundle built from npm, committed
// under assets/ so that go build needs no npm) are static and public; the
// API under /play/api/ needs the token when one is set. Work is kept in a
// workspace folder (the files init makes) when the server has one, and in
// the browser's storage otherwise.
package play

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/redisgrade/redisgrade/demo"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/admission"
	"github.com/redisgrade/redisgrade/internal/httpjson"
	"github.com/redisgrade/redisgrade/internal/origin"
	"github.com/redisgrade/redisgrade/internal/regularfile"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/submissions"
	"github.com/redisgrade/redisgrade/workspace"
)

//go:embed assets/index.html assets/play.js assets/play.css
var assets embed.FS

// APIPrefix is where the page's API lives; everything under it needs the token.
const APIPrefix = "/play/api/"

// minutesPerStep is the catalog's estimate of a step's time: a first-time
// learner reads the task, writes a few lines and checks them.
const minutesPerStep = 5

// Config configures a Handler.
type Config struct {
	// Door admits and grades every Check, as every grading request of
	// serve (package admission: the body limit, the waiting cap, the upload
	// time limit, the bytes held at once); nil when this server cannot
	// grade (a serve that enqueues for workers): the page says so.
	Door *admission.Door
	// Engine starts the demo's server; nil: no demo here.
	Engine engine.Engine
	// Workspace, when set, keeps the work of its exercise in its folder:
	// the editors read and write its step files. Otherwise work is kept in
	// the browser.
	Workspace *workspace.Workspace
	// Exercises are the exercises offered besides the shipped ones (a
	// workspace's or a command line's spec file), by id.
	Exercises []*exercises.Exercise
	// Start is the exercise the page opens first ("": the catalog).
	Start string
	// Shared says the page is a class server's (serve): one browser may be
	// shared by several students, so the page asks who is working and keeps
	// each person's work apart, under their name.
	Shared bool
	// Token, when set, is required on the API as "Authorization: Bearer".
	// Leave it empty when a server in front checks it (serve).
	Token string
	// Guard, when set, refuses requests with another Host than this
	// machine's names, and changes from another site's page. Leave it nil
	// when a server in front checks them (serve).
	Guard *origin.Guard
	// Log gets the grader's errors; nil = none.
	Log *log.Logger
}

// Handler serves the page and its API.
type Handler struct {
	cfg       Config
	mux       *http.ServeMux
	token     [sha256.Size]byte
	exercises map[string]*exercises.Exercise
	order     []string
	demoSlot  chan struct{} // one demo at a time: it loads the machine
	wsMu      chan struct{} // the workspace's files and state, one writer at a time
	wsID      string        // the workspace's exercise, if any
	// bodies admits the request bodies: Config.Door, or a door that grades
	// nothing when this server cannot grade.
	bodies *admission.Door
}

// New returns the page's handler. It fails when an exercise will not load.
func New(cfg Config) (*Handler, error) {
	if cfg.Log == nil {
		cfg.Log = log.New(io.Discard, "", 0)
	}
	h := &Handler{
		cfg: cfg, mux: http.NewServeMux(), token: sha256.Sum256([]byte(cfg.Token)),
		exercises: map[string]*exercises.Exercise{},
		demoSlot:  make(chan struct{}, 1), wsMu: make(chan struct{}, 1), bodies: cfg.Door,
	}
	if h.bodies == nil {
		h.bodies = admission.New(admission.Config{Log: cfg.Log})
	}
	offered := cfg.Exercises
	if cfg.Workspace != nil {
		// The workspace's own exercise comes first, and wins over a shipped
		// one of the same id.
		ex, err := cfg.Workspace.Exercise()
		if err != nil {
			return nil, fmt.Errorf("%s names exercise %q: %w", workspace.StateFile, cfg.Workspace.State.Exercise, err)
		}
		h.wsID = ex.ID
		offered = append([]*exercises.Exercise{ex}, offered...)
	}
	for _, ex := range offered {
		if _, dup := h.exercises[ex.ID]; !dup {
			h.exercises[ex.ID] = ex
			h.order = append(h.order, ex.ID)
		}
	}
	for _, id := range exercises.Shipped() {
		if _, dup := h.exercises[id]; dup {
			continue
		}
		ex, err := exercises.Load(id)
		if err != nil {
			return nil, err
		}
		h.exercises[id] = ex
		h.order = append(h.order, id)
	}
	if cfg.Start != "" && h.exercises[cfg.Start] == nil {
		return nil, fmt.Errorf("no exercise %q (known: %s)", cfg.Start, strings.Join(h.order, ", "))
	}
	h.mux.HandleFunc("GET /{$}", h.handlePage)
	h.mux.HandleFunc("GET /play/assets/{name}", h.handleAsset)
	h.mux.HandleFunc("GET "+APIPrefix+"exercises", h.handleCatalog)
	h.mux.HandleFunc("GET "+APIPrefix+"exercises/{id}", h.handleExercise)
	h.mux.HandleFunc("PUT "+APIPrefix+"exercises/{id}/files/{name}", h.handlePutFile)
	h.mux.HandleFunc("POST "+APIPrefix+"exercises/{id}/grade", h.handleGrade)
	h.mux.HandleFunc("POST "+APIPrefix+"exercises/{id}/hint", h.handleHint)
	h.mux.HandleFunc("POST "+APIPrefix+"exercises/{id}/demo", h.handleDemo)
	h.mux.HandleFunc("POST "+APIPrefix+"exercises/{id}/zip", h.handleZip)
	return h, nil
}

// Serves reports whether a path is the page's: / and everything under /play/.
func Serves(path string) bool { return path == "/" || strings.HasPrefix(path, "/play/") }

// Public reports whether a path needs no token: the page and its assets,
// which hold no one's work.
func Public(path string) bool { return path == "/" || strings.HasPrefix(path, "/play/assets/") }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if h.cfg.Guard != nil {
		if herr := h.cfg.Guard.Check(r); herr != nil {
			herr.Write(w)
			return
		}
	}
	if !Public(r.URL.Path) && !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="redisgrade"`)
		httpjson.WriteError(w, http.StatusUnauthorized, "this page needs its token: open the address redisgrade printed, with ?token=...")
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		httpjson.WriteError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
		return
	}
	// Every POST of the API takes JSON: a form or text/plain is what
	// another site's page can send without asking.
	if r.Method == http.MethodPost {
		if herr := origin.RequireJSON(r); herr != nil {
			herr.Write(w)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) authorized(r *http.Request) bool {
	if h.cfg.Token == "" {
		return true
	}
	scheme, given, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(given)))
	return subtle.ConstantTimeCompare(sum[:], h.token[:]) == 1
}

// contentSecurity lets the page load only its own script and style, and
// talk only to its own server: nothing from the internet, no inline script.
// Inline style is allowed: the editor writes its own style sheet.
const contentSecurity = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (h *Handler) handlePage(w http.ResponseWriter, r *http.Request) {
	data, err := assets.ReadFile("assets/index.html")
	if err != nil {
		httpjson.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Security-Policy", contentSecurity)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the address
	_, _ = w.Write(data)
}

var assetTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

func (h *Handler) handleAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	kind, ok := assetTypes[filepath.Ext(name)]
	data, err := assets.ReadFile("assets/" + name)
	if !ok || err != nil {
		httpjson.WriteError(w, http.StatusNotFound, "no asset "+name)
		return
	}
	w.Header().Set("Content-Type", kind)
	_, _ = w.Write(data)
}

// CatalogEntry is one exercise of the catalog.
type CatalogEntry struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Summary string `json:"summary,omitempty"`
	Steps   int    `json:"steps"`
	Minutes int    `json:"minutes"`
}

// Catalog is GET /play/api/exercises.
type Catalog struct {
	Exercises []CatalogEntry `json:"exercises"`
	Start     string         `json:"start,omitempty"`
	// Workspace is the exercise whose work is kept in a folder, if any.
	Workspace string `json:"workspace,omitempty"`
	CanGrade  bool   `json:"can_grade"`
	// Shared: the page asks who is working and keeps work per person.
	Shared bool `json:"shared,omitempty"`
}

func (h *Handler) handleCatalog(w http.ResponseWriter, r *http.Request) {
	c := Catalog{Exercises: []CatalogEntry{}, Start: h.cfg.Start, CanGrade: h.canGrade(), Shared: h.cfg.Shared}
	for _, id := range h.order {
		ex := h.exercises[id]
		c.Exercises = append(c.Exercises, CatalogEntry{ID: ex.ID, Title: ex.Title, Summary: ex.Summary,
			Steps: len(ex.Steps), Minutes: minutesPerStep * len(ex.Steps)})
	}
	c.Workspace = h.wsID
	httpjson.Write(w, http.StatusOK, c)
}

// StepInfo is one step as the page shows it.
type StepInfo struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Task    string `json:"task"`
	File    string `json:"file"`
	Lua     bool   `json:"lua"`
	Starter string `json:"starter"`
	Hints   int    `json:"hints"`
}

// ExerciseInfo is GET /play/api/exercises/{id}.
type ExerciseInfo struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Summary string     `json:"summary,omitempty"`
	Steps   []StepInfo `json:"steps"`
	Demo    bool       `json:"demo"`
	// Storage is where the work is kept: "workspace" (Files holds the
	// folder's step files) or "browser".
	Storage string            `json:"storage"`
	Folder  string            `json:"folder,omitempty"`
	Files   map[string]string `json:"files,omitempty"`
	// Versions name the content of each of Files; a write names the
	// version it replaces, so that an edit made outside the page (in an
	// editor, while the page was open) is never overwritten unseen.
	Versions    map[string]string `json:"versions,omitempty"`
	HintsSeen   map[string]int    `json:"hints_seen,omitempty"`
	MaxFileSize int               `json:"max_file_size"`
	CanGrade    bool              `json:"can_grade"`
}

func (h *Handler) handleExercise(w http.ResponseWriter, r *http.Request) {
	ex, ok := h.exercise(w, r)
	if !ok {
		return
	}
	info := ExerciseInfo{ID: ex.ID, Title: ex.Title, Summary: ex.Summary, Steps: []StepInfo{},
		Demo: demo.Has(ex.ID) && h.cfg.Engine != nil, Storage: "browser",
		MaxFileSize: submissions.MaxFileSize, CanGrade: h.canGrade()}
	for i := range ex.Steps {
		s := &ex.Steps[i]
		info.Steps = append(info.Steps, StepInfo{ID: s.ID, Title: s.Title, Task: s.Task, File: s.File, Lua: s.IsScript(),
			Starter: workspace.Starter(i, s), Hints: len(s.AllHints())})
	}
	if ws := h.workspaceFor(ex); ws != nil {
		if !h.lockWorkspace(w, r) {
			return
		}
		defer h.unlockWorkspace()
		info.Storage, info.Folder, info.Files, info.Versions = "workspace", ws.Dir, map[string]string{}, map[string]string{}
		info.HintsSeen = ws.State.HintsSeen
		for _, s := range ex.Steps {
			data, err := readStepFile(ws.Dir, s.File)
			if err != nil {
				httpjson.WriteError(w, http.StatusConflict, err.Error())
				return
			}
			info.Files[s.File], info.Versions[s.File] = data, version(data)
		}
	}
	httpjson.Write(w, http.StatusOK, info)
}

// version names a file's content: its SHA-256, shortened.
func version(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:12])
}

// conflict checks that the workspace's file is still the version the page
// last had (base; "" skips the check), or already holds text.
func conflict(dir, name, base, text string) *string {
	if base == "" {
		return nil
	}
	current, err := readStepFile(dir, name)
	if err != nil || current == text || version(current) == base {
		return nil
	}
	msg := fmt.Sprintf("%s was changed outside this page since the page last read or saved it: not saved", name)
	return &msg
}

// readStepFile reads a workspace's step file as grading reads it: a
// regular file, a symlink not followed, at most MaxFileSize bytes. A file
// not there reads empty; one grading would not read is not shown either,
// and the error says why.
func readStepFile(dir, name string) (string, error) {
	data, err := regularfile.ReadNoFollow(filepath.Join(dir, name), submissions.MaxFileSize)
	var notRegular *regularfile.NotRegularError
	var tooLarge *regularfile.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case errors.As(err, &notRegular):
		return "", fmt.Errorf("%w (grading counts %s missing): make it a regular file to edit it here", err, name)
	case errors.As(err, &tooLarge):
		return "", fmt.Errorf("%s is over %d bytes: too large to edit here", filepath.Join(dir, name), submissions.MaxFileSize)
	case err != nil:
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return string(data), nil
}

// workspaceFor returns the workspace that keeps ex's work, or nil.
func (h *Handler) workspaceFor(ex *exercises.Exercise) *workspace.Workspace {
	if h.cfg.Workspace == nil || ex.ID != h.wsID {
		return nil
	}
	return h.cfg.Workspace
}

func (h *Handler) lockWorkspace(w http.ResponseWriter, r *http.Request) bool {
	select {
	case h.wsMu <- struct{}{}:
		return true
	case <-r.Context().Done():
		httpjson.WriteError(w, http.StatusServiceUnavailable, "the request ended before the workspace was free")
		return false
	}
}

func (h *Handler) unlockWorkspace() { <-h.wsMu }

// exercise finds the request's exercise, or answers 404.
func (h *Handler) exercise(w http.ResponseWriter, r *http.Request) (*exercises.Exercise, bool) {
	id := r.PathValue("id")
	ex := h.exercises[id]
	if ex == nil {
		httpjson.WriteError(w, http.StatusNotFound, fmt.Sprintf("no exercise %q (known: %s)", id, strings.Join(h.order, ", ")))
		return nil, false
	}
	return ex, true
}

func stepFile(ex *exercises.Exercise, name string) bool {
	return slices.ContainsFunc(ex.Steps, func(s exercises.Step) bool { return s.File == name })
}

func (h *Handler) handlePutFile(w http.ResponseWriter, r *http.Request) {
	ex, ok := h.exercise(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	if !stepFile(ex, name) {
		httpjson.WriteError(w, http.StatusNotFound, fmt.Sprintf("%q is not a step file of %s", name, ex.ID))
		return
	}
	ws := h.workspaceFor(ex)
	if ws == nil {
		httpjson.WriteError(w, http.StatusConflict, fmt.Sprintf("no workspace folder keeps %s here: the page keeps it in the browser", ex.ID))
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, submissions.MaxFileSize+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(data) > submissions.MaxFileSize {
		httpjson.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s is over %d bytes (1 MiB): not saved; make it shorter", name, submissions.MaxFileSize))
		return
	}
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, fmt.Sprintf("%s: the upload broke off: %v", name, err))
		return
	}
	if !h.lockWorkspace(w, r) {
		return
	}
	defer h.unlockWorkspace()
	if msg := conflict(ws.Dir, name, strings.Trim(r.Header.Get("If-Match"), `"`), string(data)); msg != nil {
		httpjson.WriteError(w, http.StatusConflict, *msg)
		return
	}
	if err := writeAtomic(ws.Dir, name, data); err != nil {
		h.cfg.Log.Printf("play: %v", err)
		httpjson.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"version": version(string(data))})
}

// writeAtomic replaces dir/name with data through a temporary file renamed
// over it, so that check never reads half a file.
func writeAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	_, werr := tmp.Write(data)
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save %s: %w", name, werr)
	}
	return nil
}

// filesRequest is the body of grade and zip: the step files by name, and
// (in a workspace) the versions they replace.
type filesRequest struct {
	Files    map[string]string `json:"files"`
	Versions map[string]string `json:"versions"`
}

// maxFilesBody bounds a grade or zip body: every step file at its largest,
// JSON-escaped.
func maxFilesBody(ex *exercises.Exercise) int64 {
	return int64(len(ex.Steps)+1) * submissions.MaxFileSize * 2
}

// readFiles reads the step files posted, through the door's bounds;
// names outside the exercise's step files are refused. release gives the
// bytes held back: call it when the request ends.
func (h *Handler) readFiles(w http.ResponseWriter, r *http.Request, ex *exercises.Exercise, grading bool) (req *filesRequest, release func(), ok bool) {
	receive := h.door().Receive
	if grading {
		receive = h.door().ReceiveGrading
	}
	release, herr := receive(w, r, func(body io.Reader) *httpjson.Error {
		var herr *httpjson.Error
		req, herr = decodeFiles(body, ex)
		return herr
	})
	if herr != nil {
		herr.Write(w)
		return nil, release, false
	}
	return req, release, true
}

// decodeFiles decodes {"files": {name: text}, "versions": {...}}, each
// file a step file of ex, at most MaxFileSize bytes.
func decodeFiles(body io.Reader, ex *exercises.Exercise) (*filesRequest, *httpjson.Error) {
	var req filesRequest
	dec := json.NewDecoder(io.LimitReader(body, maxFilesBody(ex)+1))
	if err := dec.Decode(&req); err != nil {
		if dec.InputOffset() > maxFilesBody(ex) {
			return nil, httpjson.Errorf(http.StatusRequestEntityTooLarge, "the files posted are too large: each step file may hold at most 1 MiB")
		}
		return nil, httpjson.Errorf(http.StatusBadRequest, "the body is not {\"files\": {name: text}}: %v", err)
	}
	for name, text := range req.Files {
		if !stepFile(ex, name) {
			return nil, httpjson.Errorf(http.StatusBadRequest, "%q is not a step file of %s", name, ex.ID)
		}
		if len(text) > submissions.MaxFileSize {
			return nil, httpjson.Errorf(http.StatusRequestEntityTooLarge, "%s is over %d bytes (1 MiB): make it shorter", name, submissions.MaxFileSize)
		}
	}
	return &req, nil
}

// GradeResult is POST .../grade: the report, as `--format json` writes it,
// and the step files that hold only their starter comment.
type GradeResult struct {
	Report    json.RawMessage `json:"report"`
	Untouched []string        `json:"untouched"`
	// Versions, in a workspace, name the step files graded.
	Versions map[string]string `json:"versions,omitempty"`
}

func (h *Handler) handleGrade(w http.ResponseWriter, r *http.Request) {
	ex, ok := h.exercise(w, r)
	if !ok {
		return
	}
	if !h.canGrade() {
		httpjson.WriteError(w, http.StatusServiceUnavailable, "this server does not grade itself (it queues work for workers): the page cannot check here")
		return
	}
	req, release, ok := h.readFiles(w, r, ex, true)
	defer release()
	if !ok {
		return
	}
	ws := h.workspaceFor(ex)
	if ws != nil {
		if !h.lockWorkspace(w, r) {
			return
		}
		defer h.unlockWorkspace()
	}
	sub, texts, herr := h.submission(ws, ex, req)
	if herr != nil {
		herr.Write(w)
		return
	}
	rep, herr := h.door().Grade(r.Context(), ex, sub)
	if herr != nil {
		h.cfg.Log.Printf("play: grade %s: %s", ex.ID, herr.Msg)
		herr.Write(w)
		return
	}
	if ws != nil {
		if err := ws.RecordLastStep(rep); err != nil {
			h.cfg.Log.Printf("play: %v", err)
		}
	}
	res, err := gradeResult(ex, rep, texts, ws != nil)
	if err != nil {
		httpjson.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	httpjson.Write(w, http.StatusOK, res)
}

// submission is what a Check grades. In a workspace, the page's files are
// the folder's: they are saved, then the folder is graded, as check grades
// it. Elsewhere the files posted are graded in memory, never written to
// disk. texts are the step files graded, by name.
func (h *Handler) submission(ws *workspace.Workspace, ex *exercises.Exercise, req *filesRequest) (*submissions.Submission, map[string]string, *httpjson.Error) {
	if ws == nil {
		files := make(map[string][]byte, len(req.Files))
		for name, text := range req.Files {
			files[name] = []byte(text)
		}
		sub, err := submissions.OpenFiles("submission", files)
		if err != nil {
			return nil, nil, httpjson.Errorf(http.StatusBadRequest, "%s", report.Visible(err.Error()))
		}
		return sub, req.Files, nil
	}
	for name, text := range req.Files {
		if msg := conflict(ws.Dir, name, req.Versions[name], text); msg != nil {
			return nil, nil, httpjson.Errorf(http.StatusConflict, "%s; nothing was graded", *msg)
		}
	}
	for name, text := range req.Files {
		if err := writeAtomic(ws.Dir, name, []byte(text)); err != nil {
			return nil, nil, httpjson.Errorf(http.StatusInternalServerError, "%v", err)
		}
	}
	sub, err := submissions.Open(ws.Dir)
	if err != nil {
		return nil, nil, httpjson.Errorf(http.StatusBadRequest, "%s", report.Visible(err.Error()))
	}
	texts := map[string]string{}
	for _, s := range ex.Steps {
		if text, err := readStepFile(ws.Dir, s.File); err == nil {
			texts[s.File] = text
		}
	}
	return sub, texts, nil
}

// gradeResult is a Check's answer: the report as --format json writes it,
// the step files that hold only their starter comment and, in a
// workspace, the versions of the files graded.
func gradeResult(ex *exercises.Exercise, rep *report.Report, texts map[string]string, inWorkspace bool) (*GradeResult, error) {
	jsonWriter, err := report.Lookup("json")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	// Student text is shown as text, and its controls visibly (a bidi
	// override in a value must not reorder the page), as check shows them.
	if err := jsonWriter(&buf, rep.Printable(), report.Options{}); err != nil {
		return nil, err
	}
	res := &GradeResult{Report: buf.Bytes(), Untouched: []string{}}
	if inWorkspace {
		res.Versions = map[string]string{}
	}
	for i := range ex.Steps {
		s := &ex.Steps[i]
		text, ok := texts[s.File]
		if ok && inWorkspace {
			res.Versions[s.File] = version(text)
		}
		if ok && workspace.UntouchedText(s, text) {
			res.Untouched = append(res.Untouched, s.File)
		}
	}
	return res, nil
}

// hintRequest is the body of POST .../hint. Seen is how many of the step's
// hints the browser has shown, when the work is kept there.
type hintRequest struct {
	Step string `json:"step"`
	Seen int    `json:"seen"`
}

// HintResult is POST .../hint: the hints to show, as `redisgrade hint` would.
type HintResult struct {
	Step  string   `json:"step"`
	Hints []string `json:"hints"`
	Total int      `json:"total"`
	Fresh bool     `json:"fresh"`
}

func (h *Handler) handleHint(w http.ResponseWriter, r *http.Request) {
	ex, ok := h.exercise(w, r)
	if !ok {
		return
	}
	var req hintRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, fmt.Sprintf("the body is not {\"step\": id, \"seen\": n}: %v", err))
		return
	}
	i, err := workspace.Step(ex, req.Step)
	if err != nil {
		httpjson.WriteError(w, http.StatusNotFound, err.Error())
		return
	}
	step := &ex.Steps[i]
	var res workspace.HintResult
	if ws := h.workspaceFor(ex); ws != nil {
		if !h.lockWorkspace(w, r) {
			return
		}
		defer h.unlockWorkspace()
		res = ws.State.NextHint(step)
		if res.Fresh {
			if err := ws.Save(); err != nil {
				httpjson.WriteError(w, http.StatusInternalServerError, err.Error())
				return
			}
		}
	} else {
		state := workspace.State{HintsSeen: map[string]int{step.ID: max(0, req.Seen)}}
		res = state.NextHint(step)
	}
	if res.Hints == nil {
		res.Hints = []string{}
	}
	httpjson.Write(w, http.StatusOK, HintResult{Step: step.ID, Hints: res.Hints, Total: res.Total, Fresh: res.Fresh})
}

// door is the handler's admission door; a handler that cannot grade still
// bounds the bodies of its other routes with one of its own.
func (h *Handler) door() *admission.Door { return h.bodies }

func (h *Handler) canGrade() bool { return h.cfg.Door != nil && h.cfg.Door.CanGrade() }

// Serve serves h on ln until ctx is done, then shuts down, letting the
// requests in flight finish for a few seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(grace); err != nil {
		hs.Close()
	}
	<-done
	return nil
}
