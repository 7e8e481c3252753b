package play

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/redisgrade/redisgrade/internal/httpjson"
)

// handleZip answers the step files posted as a .zip for handing in: the
// files at its root, as batch and grade read them.
func (h *Handler) handleZip(w http.ResponseWriter, r *http.Request) {
	ex, ok := h.exercise(w, r)
	if !ok {
		return
	}
	req, release, ok := h.readFiles(w, r, ex, false)
	defer release()
	if !ok {
		return
	}
	files := req.Files
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	now := time.Now()
	for _, s := range ex.Steps { // in step order
		text, ok := files[s.File]
		if !ok {
			continue
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: s.File, Method: zip.Deflate, Modified: now})
		if err == nil {
			_, err = f.Write([]byte(text))
		}
		if err != nil {
			httpjson.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	if err := zw.Close(); err != nil {
		httpjson.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", ex.ID+".zip"))
	_, _ = w.Write(buf.Bytes())
}
