package api

import (
	"net/http"

	"agora/internal/catalog"
)

type imageRefJSON struct {
	Key string `json:"key"`
	Alt string `json:"alt"`
}

// adminAddImage serves POST /api/v1/admin/products/{id}/images: {key, alt?}
// of an upload (POST /api/v1/admin/media) appended to the product's images.
func (h *Handler) adminAddImage(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "product")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in imageRefJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Catalog.AddImage(r.Context(), id, catalog.Image{Key: in.Key, Alt: in.Alt}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "image added", "product_id", id, "key", in.Key)
	h.writeAdminProduct(w, r, http.StatusOK, id)
}

type imagesJSON struct {
	Images []imageRefJSON `json:"images"`
}

// adminSetImages serves PUT /api/v1/admin/products/{id}/images: the
// product's images, in order; leaving one out removes it.
func (h *Handler) adminSetImages(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "product")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in imagesJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	images := make([]catalog.Image, len(in.Images))
	for i, img := range in.Images {
		images[i] = catalog.Image{Key: img.Key, Alt: img.Alt}
	}
	if err := h.Catalog.SetImages(r.Context(), id, images); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "images set", "product_id", id, "count", len(images))
	h.writeAdminProduct(w, r, http.StatusOK, id)
}
