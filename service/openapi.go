package service

import (
	_ "embed"
	"net/http"
)

// openAPI describes every route, request and response of the Server. The
// service tests check every request they send and every answer they get
// against it (kin-openapi), so a handler and this document cannot part.
//
//go:embed openapi.json
var openAPI []byte

func handleOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(openAPI)
}
