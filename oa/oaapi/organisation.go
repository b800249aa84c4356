package oaapi

import (
	"errors"
	"net/http"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/oa"
)

func (a *API) departmentList(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	items, err := a.d.OA.Departments(r.Context(), p.Tenant)
	if err != nil {
		a.fail(w, r, "list departments", err)
		return
	}
	list(w, items, len(items))
}

func (a *API) departmentCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ParentID int64  `json:"parent_id"`
		Name     string `json:"name"`
	}
	if !read(w, r, &in) {
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	d, err := a.d.OA.CreateDepartment(r.Context(), p.Tenant, in.ParentID, in.Name)
	if err != nil {
		a.fail(w, r, "create the department", err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, d)
}

func (a *API) staffList(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	bad := oa.FieldErrors{}
	dep := queryInt(r, "department_id", bad)
	if len(bad) > 0 {
		a.fail(w, r, "list staff", bad)
		return
	}
	items, err := a.d.OA.StaffList(r.Context(), p.Tenant, dep)
	if err != nil {
		a.fail(w, r, "list staff", err)
		return
	}
	list(w, items, len(items))
}

// staffPut sets a user's OA profile; the user must exist in the caller's
// tenant (internal/auth).
func (a *API) staffPut(w http.ResponseWriter, r *http.Request) {
	var in oa.Staff
	if !read(w, r, &in) {
		return
	}
	in.UserID = r.PathValue("user")
	p, _ := auth.PrincipalFrom(r.Context())
	if a.d.Security == nil {
		a.fail(w, r, "save the profile", errs.ErrUnavailable)
		return
	}
	u, err := a.d.Security.Auth.GetUser(r.Context(), in.UserID)
	if errors.Is(err, errs.ErrNotFound) || (err == nil && u.Tenant != p.Tenant) {
		a.fail(w, r, "save the profile", oa.FieldErrors{"user": "no such user in this tenant"})
		return
	}
	if err != nil {
		a.fail(w, r, "save the profile", err)
		return
	}
	in.Name = u.Name
	if err := a.d.OA.PutStaff(r.Context(), p.Tenant, in); err != nil {
		a.fail(w, r, "save the profile", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, in)
}

func (a *API) categoryList(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	items, err := a.d.OA.Categories(r.Context(), p.Tenant)
	if err != nil {
		a.fail(w, r, "list categories", err)
		return
	}
	list(w, items, len(items))
}

func (a *API) categoryPut(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in oa.Category
		if !read(w, r, &in) {
			return
		}
		in.ID = 0
		if !create {
			id, err := pathID(r, "id")
			if err != nil {
				a.fail(w, r, "save the category", err)
				return
			}
			in.ID = id
		}
		p, _ := auth.PrincipalFrom(r.Context())
		c, err := a.d.OA.PutCategory(r.Context(), p.Tenant, in)
		if err != nil {
			a.fail(w, r, "save the category", err)
			return
		}
		code := http.StatusOK
		if create {
			code = http.StatusCreated
		}
		httpx.WriteJSON(w, code, c)
	}
}

// me is the caller with their OA profile and what they may do.
func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	tenant, actor, err := a.who(r)
	if err != nil {
		a.fail(w, r, "read the profile", err)
		return
	}
	st, err := a.d.OA.StaffOf(r.Context(), tenant, p.UserID)
	if err != nil {
		a.fail(w, r, "read the profile", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"user_id": p.UserID, "tenant": p.Tenant, "name": p.Name, "method": p.Method,
		"staff": st, "supervisor": actor.Supervisor, "pii": a.pii(r),
		// The knowledge screens shown: reading, writing (editors), publishing (审核, synonyms, bases).
		"knowledge": map[string]bool{"read": a.d.Admin.Can(r, rbac.PermOAKnowledgeRead, rbac.Scope{}),
			"write": a.d.Admin.Can(r, rbac.PermOAKnowledgeWrite, rbac.Scope{}), "publish": a.d.Admin.Can(r, rbac.PermOAKnowledgePublish, rbac.Scope{})}})
}

func (a *API) ctiStatus(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, a.d.Links())
}
