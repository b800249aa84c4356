package pbxapi

import (
	"fmt"
	"net/http"
)

// ivrReload re-reads the IVR flows; a flow that does not load is answered
// 422 with its file:line:col errors, in plain text, and the running flows stay.
func (a *API) ivrReload(w http.ResponseWriter, r *http.Request) {
	gen, err := a.flows.Reload()
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintln(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"generation\":%d}\n", gen)
}
