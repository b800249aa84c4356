package adminapi

import (
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/auth"
)

type userJSON struct {
	ID         string    `json:"id"`
	Tenant     string    `json:"tenant"`
	Name       string    `json:"name"`
	MustChange bool      `json:"must_change"`
	Disabled   bool      `json:"disabled"`
	TOTP       bool      `json:"totp"`
	SM2Key     bool      `json:"sm2_key"`
	Changed    time.Time `json:"password_changed_at"`
	Created    time.Time `json:"created_at"`
	Password   string    `json:"password,omitempty"` // only when generated, shown once
}

func toUserJSON(u auth.User) userJSON {
	return userJSON{ID: u.ID, Tenant: u.Tenant, Name: u.Name, MustChange: u.MustChange, Disabled: u.Disabled,
		TOTP: u.TOTP, SM2Key: u.HasSM2Key, Changed: u.PasswordChangedAt.UTC(), Created: u.CreatedAt.UTC()}
}

// userIn finds the user the path names ({tenant}/{name}), answering the
// request itself when there is none.
func (a *API) userIn(w http.ResponseWriter, r *http.Request) (auth.User, bool) {
	u, err := a.sec.Auth.FindUser(r.Context(), r.PathValue("tenant"), r.PathValue("name"))
	if err != nil {
		a.fail(w, r, "find user", err)
		return auth.User{}, false
	}
	return u, true
}
