package service

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/redisgrade/redisgrade/internal/httpjson"
	"github.com/redisgrade/redisgrade/queue"
	"github.com/redisgrade/redisgrade/submissions"
)

const maxFieldBytes = 1024 // a multipart field that is not a file

// readRequest reads a POST /v1/grade body, given bounded by the admission
// door: JSON or multipart. Loose files are bounded by maxFiles.
func readRequest(r *http.Request, body io.Reader, maxFiles int) (*queue.Job, *httpjson.Error) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mediaType = ""
	}
	var job *queue.Job
	var herr *httpjson.Error
	switch mediaType {
	case "application/json":
		job, herr = readJSON(body)
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, httpjson.Errorf(http.StatusBadRequest, "malformed multipart body: no boundary in its Content-Type")
		}
		job, herr = readMultipart(multipart.NewReader(body, params["boundary"]), maxFiles)
	default:
		return nil, httpjson.Errorf(http.StatusUnsupportedMediaType,
			"Content-Type %q is not accepted: send application/json ({\"exercise\": ..., \"files\": {...}}) or multipart/form-data", r.Header.Get("Content-Type"))
	}
	if herr != nil {
		return nil, herr
	}
	if herr := fromJob(job.Validate(maxFiles)); herr != nil {
		return nil, herr
	}
	return job, nil
}

func checkName(what, name string) *httpjson.Error { return fromJob(queue.CheckName(what, name)) }

// bodyError is an error reading the body (the door answers a body over
// its limits with its own status).
func bodyError(err error, what string) *httpjson.Error {
	return httpjson.Errorf(http.StatusBadRequest, "%s: %v", what, err)
}

// GradeRequest is the JSON body of POST /v1/grade (the load test sends it too).
type GradeRequest struct {
	Exercise string            `json:"exercise"`
	Name     string            `json:"name"`
	Files    map[string]string `json:"files"`
}

func readJSON(body io.Reader) (*queue.Job, *httpjson.Error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var req GradeRequest
	if err := dec.Decode(&req); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return nil, httpjson.Errorf(http.StatusBadRequest, "malformed JSON body: %s (known: exercise, name, files)", strings.TrimPrefix(err.Error(), "json: "))
		}
		return nil, bodyError(err, "malformed JSON body")
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, bodyError(err, "malformed JSON body")
		}
		return nil, httpjson.Errorf(http.StatusBadRequest, "malformed JSON body: more than one JSON value")
	}
	job := &queue.Job{Exercise: req.Exercise, Name: req.Name}
	if req.Files == nil {
		return nil, httpjson.Errorf(http.StatusBadRequest, `the JSON body needs "files": {"step1.redis": "...", ...}`)
	}
	job.Files = make(map[string][]byte, len(req.Files))
	for name, text := range req.Files {
		job.Files[name] = []byte(text)
	}
	return job, nil
}

func readMultipart(mr *multipart.Reader, maxFiles int) (*queue.Job, *httpjson.Error) {
	job := &queue.Job{Files: map[string][]byte{}}
	seen := map[string]bool{}
	for parts := 0; ; parts++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyError(err, "malformed multipart body")
		}
		if parts >= maxFiles+3 {
			return nil, httpjson.Errorf(http.StatusBadRequest, "too many parts in the form (at most %d files)", maxFiles)
		}
		field := part.FormName()
		// The raw file name: Part.FileName would strip a path and hide
		// an attempt at one.
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		fileName, isFile := params["filename"]
		if field == "" {
			return nil, httpjson.Errorf(http.StatusBadRequest, "malformed multipart body: a part has no form field name")
		}
		if seen[field] && field != "files" && field != "file" {
			return nil, httpjson.Errorf(http.StatusBadRequest, "form field %q is given twice", field)
		}
		seen[field] = true
		switch field {
		case "exercise", "name":
			value, herr := readField(part, field, isFile)
			if herr != nil {
				return nil, herr
			}
			if field == "exercise" {
				job.Exercise = value
			} else {
				job.Name = value
			}
		case "submission":
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, bodyError(err, "malformed multipart body")
			}
			name, herr := archiveName(fileName, data)
			if herr != nil {
				return nil, herr
			}
			job.ArchiveName, job.Archive = name, data
		default:
			name := field
			if field == "files" || field == "file" {
				if !isFile || fileName == "" {
					return nil, httpjson.Errorf(http.StatusBadRequest, "form field %q must be a file upload with a file name", field)
				}
				name = fileName
			}
			if herr := checkName("file name", name); herr != nil {
				return nil, herr
			}
			if _, dup := job.Files[name]; dup {
				return nil, httpjson.Errorf(http.StatusBadRequest, "file %q is given twice", name)
			}
			if len(job.Files) >= maxFiles {
				return nil, httpjson.Errorf(http.StatusBadRequest, "too many files (at most %d)", maxFiles)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, bodyError(err, "malformed multipart body")
			}
			job.Files[name] = data
		}
	}
	return oneSubmission(job)
}

// oneSubmission checks that a form held one archive or loose files.
func oneSubmission(job *queue.Job) (*queue.Job, *httpjson.Error) {
	switch {
	case job.Archive != nil && len(job.Files) > 0:
		return nil, httpjson.Errorf(http.StatusBadRequest, "send either one archive in field \"submission\" or loose files, not both")
	case job.Archive == nil && len(job.Files) == 0:
		return nil, httpjson.Errorf(http.StatusBadRequest, "no submission: send an archive in field \"submission\" or the files themselves (one field per file, named by its file name)")
	case job.Archive != nil:
		job.Files = nil
	}
	return job, nil
}

// readField reads a form field that is a plain value, at most
// maxFieldBytes.
func readField(part *multipart.Part, field string, isFile bool) (string, *httpjson.Error) {
	if isFile {
		return "", httpjson.Errorf(http.StatusBadRequest, "form field %q must be a plain value, not a file", field)
	}
	data, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return "", bodyError(err, "malformed multipart body")
	}
	if len(data) > maxFieldBytes {
		return "", httpjson.Errorf(http.StatusBadRequest, "form field %q is over %d bytes", field, maxFieldBytes)
	}
	return strings.TrimSpace(string(data)), nil
}

// archiveName picks the name an uploaded archive is saved under: the
// uploaded name when it is plain and says .zip/.tar.gz/.tgz, else one
// guessed from the content's magic bytes.
func archiveName(uploaded string, data []byte) (string, *httpjson.Error) {
	if uploaded != "" {
		if herr := checkName("archive name", uploaded); herr != nil {
			return "", herr
		}
		if submissions.ArchiveSuffix(uploaded) != "" {
			return uploaded, nil
		}
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return queue.DefaultSubmissionName + ".zip", nil
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return queue.DefaultSubmissionName + ".tar.gz", nil
	}
	return "", httpjson.Errorf(http.StatusBadRequest, "malformed archive: the \"submission\" file is neither a .zip nor a .tar.gz")
}
