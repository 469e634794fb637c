package api

import (
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

type suggestJSON struct {
	Query       string           `json:"query"`
	Suggestions []suggestionJSON `json:"suggestions"`
}

type suggestionJSON struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
	URL  string `json:"url"`
}

// suggest serves GET /api/v1/search/suggest?q=: as-you-type completions,
// product names holding every word typed (the last as a prefix). Cached
// like search results.
func (h *Handler) suggest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	list, err := h.Catalog.Suggest(r.Context(), q, catalog.MaxSuggestions)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	out := suggestJSON{Query: q, Suggestions: make([]suggestionJSON, len(list))}
	for i, s := range list {
		out.Suggestions[i] = suggestionJSON{Name: s.Name, Slug: s.Slug, URL: "/products/" + s.Slug}
	}
	WriteJSON(w, http.StatusOK, cachehdr.Search, out)
}
