package adminapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
)

func (a *API) userGet(w http.ResponseWriter, r *http.Request) {
	if u, ok := a.userIn(w, r); ok {
		httpx.WriteJSON(w, http.StatusOK, toUserJSON(u))
	}
}
