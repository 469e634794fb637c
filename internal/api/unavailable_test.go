package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"agora/internal/api"
)

// TestWriteErrorLostDatabase: an error that says the database went away,
// wherever it surfaced (here, as rows.Err after the first rows, which the
// store's retry does not cover), answers 503, which the edge retries or
// covers with a stale page, not 500.
func TestWriteErrorLostDatabase(t *testing.T) {
	lost := fmt.Errorf("catalog: list: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"})
	w := httptest.NewRecorder()
	api.WriteError(w, httptest.NewRequest(http.MethodGet, "/api/v1/products", nil), slog.New(slog.NewTextHandler(io.Discard, nil)), lost)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503; body %s", w.Code, w.Body)
	}
}
