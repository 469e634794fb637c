package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"time"

	"agora/internal/fault"
	"agora/internal/importjob"
	"agora/internal/page"
	"agora/internal/staff"
)

// CSV imports in the admin (issue 16): upload a file, read the dry run's
// diff, confirm, and follow the progress while a worker of the app tier
// applies it (importjob). The pages work without JavaScript (a busy job's
// page refreshes itself); with it, import.js moves the progress bar from
// the job's JSON and reloads the page when the job changes state.

// uploadReadTime bounds the reading of one upload: the server's read
// timeout is made for forms, not for a 64 MiB file on a slow line.
const uploadReadTime = 10 * time.Minute

type importsPage struct {
	layout
	Jobs    []importjob.Job
	Form    *form
	MaxMiB  int
	Running bool // a job holds the slot: the form says so
}

type importPage struct {
	layout
	Job importjob.Job
}

// importsList serves GET /admin/imports: recent imports and the upload form.
func (h *Handler) importsList(w http.ResponseWriter, r *http.Request) {
	if h.Imports == nil {
		h.notFound(w, r)
		return
	}
	h.showImports(w, r, http.StatusOK, emptyForm())
}

func (h *Handler) showImports(w http.ResponseWriter, r *http.Request, status int, f *form) {
	jobs, err := h.Imports.List(r.Context(), 20)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	running := false
	for _, j := range jobs {
		running = running || j.State.Busy()
	}
	h.render(w, r, status, "imports", importsPage{layout: h.newLayout(r, "Import products", "products"),
		Jobs: jobs, Form: f, MaxMiB: importjob.MaxFileBytes >> 20, Running: running})
}

// importUpload serves POST /admin/imports (multipart: file, and the
// update_only, archive_missing and skip_invalid boxes).
func (h *Handler) importUpload(w http.ResponseWriter, r *http.Request) {
	if h.Imports == nil {
		h.notFound(w, r)
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTime))
	f := emptyForm()
	name, data, err := readCSVUpload(r)
	var job importjob.Job
	if err == nil {
		me, _ := staff.From(r.Context())
		opts := importjob.Options{
			UpdateOnly:     r.FormValue("update_only") != "",
			ArchiveMissing: r.FormValue("archive_missing") != "",
			SkipInvalid:    r.FormValue("skip_invalid") != "",
		}
		job, err = h.Imports.Submit(r.Context(), name, data, opts, me.Email)
	}
	if err != nil {
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		f.Set("file", fault.MessageOf(err))
		if fault.CodeOf(err) == fault.Conflict {
			f.Message = fault.MessageOf(err)
		}
		h.showImports(w, r, page.FormStatus(err), f)
		return
	}
	page.SeeOther(w, r, importURL(job.ID))
}

// readCSVUpload reads the multipart form's file, refusing more than
// importjob.MaxFileBytes: the app's body limit for this path stops the
// read there, so a 1 GB upload costs 64 MiB of reading, not a gigabyte.
func readCSVUpload(r *http.Request) (string, []byte, error) {
	limit := int64(importjob.MaxFileBytes)
	tooLarge := &fault.Error{Code: fault.TooLarge, Field: "file",
		Message: "The file is larger than " + itoa(importjob.MaxFileBytes>>20) + " MiB: import it on the server with `agora import FILE`, or split it."}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", nil, tooLarge
		}
		return "", nil, fault.Field("file", "Choose a CSV file to upload.")
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return "", nil, fault.Field("file", "Choose a CSV file to upload.")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return "", nil, err
	}
	if int64(len(data)) > limit {
		return "", nil, tooLarge
	}
	name := path.Base(hdr.Filename)
	if len(name) > 200 || name == "." || name == "/" {
		name = "upload.csv"
	}
	return name, data, nil
}

// importShow serves GET /admin/imports/{id}.
func (h *Handler) importShow(w http.ResponseWriter, r *http.Request) {
	j, ok := h.importJob(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "import", importPage{layout: h.newLayout(r, "Import "+itoa(int(j.ID)), "products"), Job: j})
}

// importProgress serves GET /admin/imports/{id}/progress: what the page's
// progress bar needs, as JSON.
func (h *Handler) importProgress(w http.ResponseWriter, r *http.Request) {
	j, ok := h.importJob(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"state": j.State, "busy": j.State.Busy(), "percent": j.Percent(),
		"steps": j.Steps, "steps_done": j.StepsDone, "rows": j.Rows, "rows_done": j.RowsDone, "error": j.Error,
	})
}

// importAction serves POST /admin/imports/{id}/confirm, …/cancel and
// …/undo: act is the Service method, as (*importjob.Service).Confirm.
func (h *Handler) importAction(act func(*importjob.Service, context.Context, int64) error, done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.Imports == nil {
			h.notFound(w, r)
			return
		}
		id, ok := h.pathID(w, r, "id")
		if !ok || !h.parsePost(w, r) {
			return
		}
		if err := act(h.Imports, r.Context(), id); err != nil {
			h.fail(w, r, err)
			return
		}
		page.SeeOther(w, r, importURL(id)+"?done="+done)
	}
}

func (h *Handler) importJob(w http.ResponseWriter, r *http.Request) (importjob.Job, bool) {
	if h.Imports == nil {
		h.notFound(w, r)
		return importjob.Job{}, false
	}
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return importjob.Job{}, false
	}
	j, err := h.Imports.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return j, false
	}
	return j, true
}

func importURL(id int64) string { return "/admin/imports/" + strconv.FormatInt(id, 10) }
