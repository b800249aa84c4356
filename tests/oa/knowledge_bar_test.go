package oa_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/tests/testpbx"
)

// publishArticle writes, submits and approves an article through the
// service (editor and reviewer are two people, as 审核 requires).
func publishArticle(t *testing.T, o *oaProc, in knowledge.ArticleInput) knowledge.Article {
	t.Helper()
	ctx := t.Context()
	a, err := o.Knowledge.CreateArticle(ctx, "demo", "editor-1", in)
	if err == nil {
		_, err = o.Knowledge.Submit(ctx, "demo", "editor-1", a.ID)
	}
	if err == nil {
		_, err = o.Knowledge.Review(ctx, "demo", "reviewer-1", a.ID, true, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// barDo sends a request to the OA as the agent bar's page would: from
// origin (none: not a browser), with a bearer token.
func barDo(t *testing.T, o *oaProc, method, path, origin, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, o.url(path), rd)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method == "OPTIONS" {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// oneLogin is a one-login token for the OA that the PBX issues to a new
// user holding role (bound to agent).
func oneLogin(t *testing.T, pc *testpbx.Client, sys, sec, name, role, agent string) string {
	t.Helper()
	id, session := pc.NewUser(sys, "demo", name)
	pc.Assign(sec, id, role, nil, agent)
	r := pc.Do("POST", "/api/v1/sso/token", session, map[string]string{"audience": "oa"}, nil)
	if r.Code != 200 {
		t.Fatalf("sso token: %d %s", r.Code, r.Body)
	}
	var issued struct{ Token string }
	r.JSON(t, &issued)
	return issued.Token
}

// The agent bar's knowledge suggestions and their trust boundary: the bar
// (on the PBX's origin) trades a one-login token for a knowledge token and
// reads suggestions with it, CORS allowed for that origin only; the
// knowledge token reads nothing else (tickets, customers, the session
// routes' own search), a forged one nothing at all, and a role without
// oa.knowledge.read gets none.
func TestAgentBarKnowledgeTokenAndItsBoundary(t *testing.T) {
	p := testpbx.Start(t)
	o := startOA(t, p)
	pbxOrigin := "http://" + p.HTTPAddr()
	o.stop(t)
	o.cfg.SSO.BarOrigins = []string{pbxOrigin}
	o.start(t)

	ctx := context.Background()
	b, err := o.Knowledge.PutBase(ctx, "demo", knowledge.Base{Name: "热线知识"})
	if err != nil {
		t.Fatal(err)
	}
	art := publishArticle(t, o, knowledge.ArticleInput{BaseID: b.ID, Title: "投注站设备故障报修流程", BodyHTML: "<p>先重启终端</p>"})

	pc := testpbx.NewClient(t, p, "")
	sys := pc.Login("demo", "sysadmin", p.Admins["demo/sysadmin"])
	sec := pc.Login("demo", "secadmin", p.Admins["demo/secadmin"])

	// The preflight from the PBX's page is allowed; from another origin it
	// gets no CORS header.
	code, h, _ := barDo(t, o, "OPTIONS", "/api/v1/knowledge/bar/token", pbxOrigin, "", nil)
	if code != 204 || h.Get("Access-Control-Allow-Origin") != pbxOrigin || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight from the PBX: %d %v", code, h)
	}
	for _, evil := range []string{"http://evil.example", "http://" + o.HTTP.Addr(), pbxOrigin + ".evil.example", "null"} {
		code, h, _ := barDo(t, o, "OPTIONS", "/api/v1/knowledge/bar/token", evil, "", nil)
		if code != 403 || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("preflight from %s: %d %v", evil, code, h)
		}
	}

	// A one-login token sent from another origin is refused before it is
	// spent; from the PBX's page it buys a knowledge token.
	tok := oneLogin(t, pc, sys, sec, "zhaoliu", "agent", "a1001")
	if code, h, _ := barDo(t, o, "POST", "/api/v1/knowledge/bar/token", "http://evil.example", "", map[string]string{"token": tok}); code != 403 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("token traded from another origin: %d %v", code, h)
	}
	code, h, body := barDo(t, o, "POST", "/api/v1/knowledge/bar/token", pbxOrigin, "", map[string]string{"token": tok})
	var kt struct {
		Token     string
		ExpiresAt int64 `json:"expires_at"`
	}
	if json.Unmarshal(body, &kt); code != 200 || !strings.HasPrefix(kt.Token, "kbt.") || kt.ExpiresAt == 0 || h.Get("Access-Control-Allow-Origin") != pbxOrigin {
		t.Fatalf("trade: %d %s %v", code, body, h)
	}
	// The one-login token is spent.
	if code, _, _ := barDo(t, o, "POST", "/api/v1/knowledge/bar/token", pbxOrigin, "", map[string]string{"token": tok}); code != 401 {
		t.Errorf("a spent one-login token traded again: %d", code)
	}

	// Suggestions with it, for the PBX's page.
	code, h, body = barDo(t, o, "GET", "/api/v1/knowledge/bar/suggest?q="+url.QueryEscape("投注站"), pbxOrigin, kt.Token, nil)
	var sg struct{ Items []knowledge.Suggestion }
	if json.Unmarshal(body, &sg); code != 200 || len(sg.Items) == 0 || sg.Items[0].Text != "投注站设备故障报修流程" || sg.Items[0].ArticleID != art.ID ||
		h.Get("Access-Control-Allow-Origin") != pbxOrigin {
		t.Fatalf("suggest: %d %s %v", code, body, h)
	}
	if code, h, _ := barDo(t, o, "GET", "/api/v1/knowledge/bar/suggest?q="+url.QueryEscape("投注站"), "http://evil.example", kt.Token, nil); code != 403 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("suggest for another origin: %d %v", code, h)
	}

	// The knowledge token is no session: every other route refuses it.
	for _, path := range []string{"/api/v1/tickets", "/api/v1/customers?name=" + url.QueryEscape("钱"), "/api/v1/contacts", "/api/v1/me",
		"/api/v1/knowledge/search?q=" + url.QueryEscape("投注站"), "/api/v1/knowledge/articles/" + strconv.FormatInt(art.ID, 10)} {
		if code, _, body := barDo(t, o, "GET", path, "", kt.Token, nil); code != 401 {
			t.Errorf("GET %s with a knowledge token: %d %s", path, code, body)
		}
	}
	// Forged or altered: refused.
	forged := kt.Token[:len(kt.Token)-2] + "AA"
	if kt.Token[len(kt.Token)-2:] == "AA" {
		forged = kt.Token[:len(kt.Token)-2] + "BB"
	}
	for _, bad := range []string{forged, "kbt.e30.AAAA", "", "kbt."} {
		if code, _, _ := barDo(t, o, "GET", "/api/v1/knowledge/bar/suggest?q=x", pbxOrigin, bad, nil); code != 401 {
			t.Errorf("suggest with %q: %d", bad, code)
		}
	}
	// A role that does not read the knowledge base buys no token.
	qa := oneLogin(t, pc, sys, sec, "zhouqi", "qa", "")
	if code, _, body := barDo(t, o, "POST", "/api/v1/knowledge/bar/token", pbxOrigin, "", map[string]string{"token": qa}); code != 403 {
		t.Errorf("a qa user traded a knowledge token: %d %s", code, body)
	}
	// Each issue and refusal is in the audit chain.
	entries, err := o.Security.Audit.Search(ctx, audit.Filter{Action: "oa.knowledge.bar_token", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, e := range entries {
		outcomes = append(outcomes, e.Outcome)
	}
	if strings.Join(outcomes, ",") != "ok,denied,denied" {
		t.Errorf("audited knowledge tokens %v: want the issue, the spent token's refusal, the qa user's", outcomes)
	}
	// A restart forgets the signing key: old tokens stop working.
	o.stop(t)
	o.start(t)
	if code, _, _ := barDo(t, o, "GET", "/api/v1/knowledge/bar/suggest?q=x", pbxOrigin, kt.Token, nil); code != 401 {
		t.Errorf("a knowledge token outlived the OA that signed it: %d", code)
	}
}
