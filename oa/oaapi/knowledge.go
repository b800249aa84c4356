package oaapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/knowledge"
)

// viewer is the caller as the knowledge base sees them: their department,
// and every base when they write or publish articles.
func (a *API) viewer(r *http.Request) (string, knowledge.Viewer, error) {
	if a.d.Knowledge == nil {
		return "", knowledge.Viewer{}, errs.ErrUnavailable
	}
	tenant, me, err := a.who(r)
	if err != nil {
		return "", knowledge.Viewer{}, err
	}
	all := a.d.Admin.Can(r, rbac.PermOAKnowledgeWrite, rbac.Scope{}) || a.d.Admin.Can(r, rbac.PermOAKnowledgePublish, rbac.Scope{})
	return tenant, knowledge.Viewer{UserID: me.UserID, Department: me.Department, All: all}, nil
}

func (a *API) kbBaseList(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	if err == nil {
		var items []knowledge.Base
		if items, err = a.d.Knowledge.Bases(r.Context(), tenant, v); err == nil {
			list(w, items, len(items))
			return
		}
	}
	a.fail(w, r, "list knowledge bases", err)
}

func (a *API) kbBasePut(create bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in knowledge.Base
		if !read(w, r, &in) {
			return
		}
		tenant, _, err := a.viewer(r)
		in.ID = 0
		if err == nil && !create {
			in.ID, err = pathID(r, "id")
		}
		if err == nil {
			if in, err = a.d.Knowledge.PutBase(r.Context(), tenant, in); err == nil {
				httpx.WriteJSON(w, map[bool]int{true: http.StatusCreated, false: http.StatusOK}[create], in)
				return
			}
		}
		a.fail(w, r, "save the knowledge base", err)
	})
}

func (a *API) kbDirList(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var tree []*knowledge.Dir
		if tree, err = a.d.Knowledge.Tree(r.Context(), tenant, v, id); err == nil {
			list(w, tree, len(tree))
			return
		}
	}
	a.fail(w, r, "list directories", err)
}

func (a *API) kbDirCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ParentID int64  `json:"parent_id"`
		Name     string `json:"name"`
	}
	if !read(w, r, &in) {
		return
	}
	tenant, _, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var d knowledge.Dir
		if d, err = a.d.Knowledge.CreateDir(r.Context(), tenant, id, in.ParentID, in.Name); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, d)
			return
		}
	}
	a.fail(w, r, "create the directory", err)
}

func (a *API) kbArticleList(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	bad := oa.FieldErrors{}
	f := knowledge.ListFilter{BaseID: queryInt(r, "base_id", bad), DirID: queryInt(r, "dir_id", bad), Limit: int(queryInt(r, "limit", bad)), Offset: int(queryInt(r, "offset", bad))}
	if f.BaseID == 0 {
		bad["base_id"] = "required"
	}
	if err == nil && len(bad) > 0 {
		err = bad
	}
	if err == nil {
		var items []knowledge.Article
		var total int
		if items, total, err = a.d.Knowledge.Articles(r.Context(), tenant, v, f); err == nil {
			list(w, items, total)
			return
		}
	}
	a.fail(w, r, "list articles", err)
}

func (a *API) kbArticleCreate(w http.ResponseWriter, r *http.Request) {
	var in knowledge.ArticleInput
	if !read(w, r, &in) {
		return
	}
	tenant, v, err := a.viewer(r)
	if err == nil {
		var art knowledge.Article
		if art, err = a.d.Knowledge.CreateArticle(r.Context(), tenant, v.UserID, in); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, art)
			return
		}
	}
	a.fail(w, r, "create the article", err)
}

// kbArticleGet reads an article: a reader's read counts as a view; an
// editor sees any article with its pending version, uncounted.
func (a *API) kbArticleGet(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var art knowledge.Article
		if v.All && r.URL.Query().Get("view") != "true" {
			art, err = a.d.Knowledge.Article(r.Context(), tenant, v, id)
		} else {
			art, err = a.d.Knowledge.View(r.Context(), tenant, v, id)
		}
		if err == nil {
			var atts []knowledge.Attachment
			if atts, err = a.d.Knowledge.Attachments(r.Context(), tenant, id); err == nil {
				httpx.WriteJSON(w, http.StatusOK, articleDetail{Article: art, Attachments: atts})
				return
			}
		}
	}
	a.fail(w, r, "read the article", err)
}

type articleDetail struct {
	knowledge.Article
	Attachments []knowledge.Attachment `json:"attachments"`
}

func (a *API) kbArticleUpdate(w http.ResponseWriter, r *http.Request) {
	var in knowledge.ArticleInput
	if !read(w, r, &in) {
		return
	}
	tenant, v, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var art knowledge.Article
		if art, err = a.d.Knowledge.UpdateArticle(r.Context(), tenant, v.UserID, id, in); err == nil {
			httpx.WriteJSON(w, http.StatusOK, art)
			return
		}
	}
	a.fail(w, r, "save the article", err)
}

func (a *API) kbSubmit(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var ver knowledge.Version
		if ver, err = a.d.Knowledge.Submit(r.Context(), tenant, v.UserID, id); err == nil {
			httpx.WriteJSON(w, http.StatusOK, ver)
			return
		}
	}
	a.fail(w, r, "submit the article", err)
}

type reviewInput struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note"`
}

func (a *API) kbReview(w http.ResponseWriter, r *http.Request) {
	var in reviewInput
	if !read(w, r, &in) {
		return
	}
	tenant, v, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var ver knowledge.Version
		if ver, err = a.d.Knowledge.Review(r.Context(), tenant, v.UserID, id, in.Approve, in.Note); err == nil {
			httpx.WriteJSON(w, http.StatusOK, ver)
			return
		}
	}
	a.fail(w, r, "review the article", err)
}

func (a *API) kbUnpublish(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		err = a.d.Knowledge.Unpublish(r.Context(), tenant, id)
	}
	if err != nil {
		a.fail(w, r, "unpublish the article", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) kbVersions(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var vs []knowledge.Version
		if vs, err = a.d.Knowledge.Versions(r.Context(), tenant, id); err == nil {
			list(w, vs, len(vs))
			return
		}
	}
	a.fail(w, r, "list versions", err)
}

func (a *API) kbReviewQueue(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.viewer(r)
	if err == nil {
		var vs []knowledge.Version
		if vs, err = a.d.Knowledge.ReviewQueue(r.Context(), tenant); err == nil {
			list(w, vs, len(vs))
			return
		}
	}
	a.fail(w, r, "list versions in review", err)
}

func (a *API) kbVote(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Helpful bool `json:"helpful"`
	}
	if !read(w, r, &in) {
		return
	}
	tenant, v, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	if err = errors.Join(err, err2); err == nil {
		var art knowledge.Article
		if art, err = a.d.Knowledge.Vote(r.Context(), tenant, knowledge.Viewer{UserID: v.UserID, Department: v.Department}, id, in.Helpful); err == nil {
			httpx.WriteJSON(w, http.StatusOK, art)
			return
		}
	}
	a.fail(w, r, "vote", err)
}

func (a *API) kbAttachmentAdd(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, "attach the file", err)
		return
	}
	name, data, ok := a.upload(w, r)
	if !ok {
		return
	}
	tenant, v, err := a.viewer(r)
	if err == nil {
		var at knowledge.Attachment
		if at, err = a.d.Knowledge.AddAttachment(r.Context(), tenant, v.UserID, id, name, data); err == nil {
			httpx.WriteJSON(w, http.StatusCreated, at)
			return
		}
	}
	a.fail(w, r, "attach the file", err)
}

func (a *API) kbAttachmentGet(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	id, err2 := pathID(r, "id")
	aid, err3 := pathID(r, "aid")
	if err = errors.Join(err, err2, err3); err != nil {
		a.fail(w, r, "read the attachment", err)
		return
	}
	at, data, err := a.d.Knowledge.OpenAttachment(r.Context(), tenant, v, id, aid)
	if err != nil {
		a.fail(w, r, "read the attachment", err)
		return
	}
	download(w, at.Name, at.MIME, data)
}

// kbSearch searches as a reader: an editor's search is scoped like
// everyone's, by department, unless all=true.
func (a *API) kbSearch(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	bad := oa.FieldErrors{}
	o := knowledge.SearchOptions{BaseID: queryInt(r, "base_id", bad), Limit: int(queryInt(r, "limit", bad)), Offset: int(queryInt(r, "offset", bad))}
	if err == nil && len(bad) > 0 {
		err = bad
	}
	if r.URL.Query().Get("all") != "true" {
		v.All = false
	}
	if err == nil {
		var res knowledge.SearchReply
		if res, err = a.d.Knowledge.Search(r.Context(), tenant, v, r.URL.Query().Get("q"), o); err == nil {
			httpx.WriteJSON(w, http.StatusOK, res)
			return
		}
	}
	a.fail(w, r, "search the knowledge base", err)
}

func (a *API) kbSuggest(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	a.suggest(w, r, tenant, v, err)
}

// suggest answers suggestions for v as a reader (the session's route and
// the agent bar's).
func (a *API) suggest(w http.ResponseWriter, r *http.Request, tenant string, v knowledge.Viewer, err error) {
	bad := oa.FieldErrors{}
	limit := int(queryInt(r, "limit", bad))
	if err == nil && len(bad) > 0 {
		err = bad
	}
	v.All = false
	if err == nil {
		var sg []knowledge.Suggestion
		if sg, err = a.d.Knowledge.Suggest(r.Context(), tenant, v, r.URL.Query().Get("q"), limit); err == nil {
			list(w, sg, len(sg))
			return
		}
	}
	a.fail(w, r, "suggest", err)
}

type synonymGroups struct {
	Groups [][]string `json:"groups"`
}

func (a *API) kbSynonymsGet(w http.ResponseWriter, r *http.Request) {
	tenant, _, err := a.viewer(r)
	if err == nil {
		var g [][]string
		if g, err = a.d.Knowledge.Synonyms(r.Context(), tenant); err == nil {
			httpx.WriteJSON(w, http.StatusOK, synonymGroups{Groups: g})
			return
		}
	}
	a.fail(w, r, "read synonyms", err)
}

func (a *API) kbSynonymsPut(w http.ResponseWriter, r *http.Request) {
	var in synonymGroups
	if !read(w, r, &in) {
		return
	}
	tenant, _, err := a.viewer(r)
	if err == nil {
		if err = a.d.Knowledge.SetSynonyms(r.Context(), tenant, in.Groups); err == nil {
			a.kbSynonymsGet(w, r)
			return
		}
	}
	a.fail(w, r, "save synonyms", err)
}

// kbForCategories lists the articles answering ticket categories (the
// screen pop's articles for the caller's open tickets).
func (a *API) kbForCategories(w http.ResponseWriter, r *http.Request) {
	tenant, v, err := a.viewer(r)
	var cats []int64
	for _, part := range strings.Split(r.URL.Query().Get("category_id"), ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		n, perr := strconv.ParseInt(part, 10, 64)
		if perr != nil || n <= 0 {
			err = errors.Join(err, oa.FieldErrors{"category_id": "positive numbers, comma-separated"})
			break
		}
		cats = append(cats, n)
	}
	if err == nil {
		var items []knowledge.Article
		if items, err = a.d.Knowledge.ForCategories(r.Context(), tenant, v, cats, 10); err == nil {
			list(w, items, len(items))
			return
		}
	}
	a.fail(w, r, "list articles for categories", err)
}
