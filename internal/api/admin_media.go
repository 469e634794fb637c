package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/media"
)

type mediaRefJSON struct {
	Key string `json:"key"`
	URL string `json:"url"`
}

type uploadJSON struct {
	Key         string                  `json:"key"`
	URL         string                  `json:"url"`
	ContentType string                  `json:"content_type"`
	Width       int                     `json:"width"`
	Height      int                     `json:"height"`
	Bytes       int64                   `json:"bytes"`
	Variants    map[string]mediaRefJSON `json:"variants"` // thumbnail, card, large
}

// errNotMultipart is answered 415, like a JSON endpoint sent something else.
var errNotMultipart = errors.New("api: body is not multipart/form-data")

// adminUploadMedia serves POST /api/v1/admin/media: the image in the
// multipart field "file" is checked, cleaned and stored with its variants
// by media.Store.Upload, and recorded in the media table. Its key is the
// hash of the stored bytes: the client's file name and Content-Type are
// never used, so no path can be chosen from outside.
func (h *Handler) adminUploadMedia(w http.ResponseWriter, r *http.Request) {
	data, err := readFilePart(w, r)
	if errors.Is(err, errNotMultipart) {
		writeErrorStatus(w, http.StatusUnsupportedMediaType, cachehdr.Private, "unsupported_media_type",
			"Send the image as multipart/form-data, in the field \"file\".", "")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Media.Upload(r.Context(), data, media.Limits{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := media.Record(r.Context(), h.DB, u, time.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	out := uploadJSON{Key: u.Key, URL: *h.mediaURL(u.Key), ContentType: u.ContentType, Width: u.Width, Height: u.Height,
		Bytes: u.Bytes, Variants: make(map[string]mediaRefJSON, len(u.Variants))}
	for name, key := range u.Variants {
		out.Variants[name] = mediaRefJSON{Key: key, URL: *h.mediaURL(key)}
	}
	h.audit(r, "media uploaded", "key", u.Key, "bytes", u.Bytes)
	writePrivate(w, http.StatusCreated, out)
}

// readFilePart returns the content of the multipart field "file", reading
// at most MaxMediaBody bytes of body; other fields are skipped.
func readFilePart(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return nil, errNotMultipart
	}
	if r.ContentLength > MaxMediaBody {
		return nil, uploadTooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxMediaBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errNotMultipart
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, fault.Field("file", "Send the image in the multipart field \"file\".")
		}
		if err != nil {
			return nil, bodyError(err)
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, bodyError(err)
		}
		if len(data) == 0 {
			return nil, fault.Field("file", "The file is empty.")
		}
		return data, nil
	}
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return uploadTooLarge()
	}
	return fault.New(fault.Invalid, "The upload could not be read: the multipart body is malformed or was cut off.")
}

func uploadTooLarge() error {
	return fault.New(fault.TooLarge, "The upload is too large: at most %d MiB are accepted.", MaxMediaBody>>20)
}
