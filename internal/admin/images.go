package admin

import (
	"errors"
	"io"
	"net/http"
	"slices"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/media"
	"agora/internal/page"
)

// Images are uploaded one at a time (multipart, field "file"), then
// reordered with up/down buttons and removed one by one. Each action names
// the image by its key, not its position, so a stale page cannot move or
// remove the wrong one.

// defaultMaxUpload is media's own default limit (20 MiB).
const defaultMaxUpload = 20 << 20

type imageRow struct {
	catalog.Image
	First, Last bool
}

func (h *Handler) maxUpload() int64 {
	if h.MaxUploadBytes > 0 {
		return h.MaxUploadBytes
	}
	return defaultMaxUpload
}

// imageUpload serves POST /admin/products/{id}/images.
func (h *Handler) imageUpload(w http.ResponseWriter, r *http.Request) {
	id, ok := h.productID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f := emptyForm()
	if h.Media == nil {
		f.Set("file", "This server has no media storage configured (--media), so images cannot be uploaded here.")
		h.showProduct(w, r, productView{status: http.StatusServiceUnavailable, imageForm: f})
		return
	}
	data, err := h.readUpload(r)
	var up media.Upload
	if err == nil {
		up, err = h.Media.Upload(ctx, data, media.Limits{MaxBytes: h.maxUpload()})
	}
	if err == nil {
		err = media.Record(ctx, h.DB, up, h.now())
	}
	var p *catalog.Product
	if err == nil {
		p, err = h.Catalog.ProductByID(ctx, id)
	}
	if err == nil {
		img := catalog.Image{Key: up.Key, Alt: p.Name, Width: up.Width, Height: up.Height}
		if i := slices.IndexFunc(p.Images, func(im catalog.Image) bool { return im.Key == up.Key }); i >= 0 {
			err = fault.Field("file", "This picture is already one of the product's images.")
		} else {
			err = h.Catalog.SetImages(ctx, id, append(p.Images, img))
		}
	}
	if err != nil {
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		if fault.CodeOf(err) == fault.NotFound && p == nil && up.Key != "" {
			h.fail(w, r, err)
			return
		}
		f.Set("file", fault.MessageOf(err))
		h.showProduct(w, r, productView{status: page.FormStatus(err), imageForm: f})
		return
	}
	page.SeeOther(w, r, productURL(id)+"?done=uploaded#images")
}

// readUpload returns the bytes of the multipart field "file", at most
// maxUpload of them; the file's name is never used (keys are content
// addresses).
func (h *Handler) readUpload(r *http.Request) ([]byte, error) {
	limit := h.maxUpload()
	// Small parts stay in memory; a large file spills to a temporary file
	// that ParseMultipartForm's caller (net/http) removes.
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &fault.Error{Code: fault.TooLarge, Field: "file", Message: "The file is too large: at most " + mib(limit) + " MiB."}
		}
		return nil, fault.Field("file", "Choose an image file to upload.")
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return nil, fault.Field("file", "Choose an image file to upload.")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fault.Error{Code: fault.TooLarge, Field: "file", Message: "The file is too large: at most " + mib(limit) + " MiB."}
	}
	if len(data) == 0 {
		return nil, fault.Field("file", "The file is empty.")
	}
	return data, nil
}

func mib(n int64) string { return itoa(int(n >> 20)) }

// imageMove serves POST /admin/products/{id}/images/move (key, dir=up|down).
func (h *Handler) imageMove(w http.ResponseWriter, r *http.Request) {
	h.editImages(w, r, "moved", func(imgs []catalog.Image, i int, dir string) ([]catalog.Image, bool) {
		j := i - 1
		if dir == "down" {
			j = i + 1
		}
		if j < 0 || j >= len(imgs) {
			return imgs, false
		}
		imgs[i], imgs[j] = imgs[j], imgs[i]
		return imgs, true
	})
}

// imageRemove serves POST /admin/products/{id}/images/remove (key). The
// bytes stay in the bucket: other products, and cached pages, may use them.
func (h *Handler) imageRemove(w http.ResponseWriter, r *http.Request) {
	h.editImages(w, r, "removed", func(imgs []catalog.Image, i int, _ string) ([]catalog.Image, bool) {
		return slices.Delete(imgs, i, i+1), true
	})
}

// editImages applies change to the image named by the posted key and
// saves the new list.
func (h *Handler) editImages(w http.ResponseWriter, r *http.Request, done string,
	change func(imgs []catalog.Image, i int, dir string) ([]catalog.Image, bool)) {
	id, ok := h.productID(w, r)
	if !ok || !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	p, err := h.Catalog.ProductByID(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(p.Images, func(im catalog.Image) bool { return im.Key == r.PostFormValue("key") })
	if i < 0 {
		f := emptyForm()
		f.Message = "That image is no longer on this product; the list below is current."
		h.showProduct(w, r, productView{status: http.StatusConflict, imageForm: f})
		return
	}
	imgs, changed := change(slices.Clone(p.Images), i, r.PostFormValue("dir"))
	if changed {
		if err := h.Catalog.SetImages(ctx, id, imgs); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	page.SeeOther(w, r, productURL(id)+"?done="+done+"#images")
}
