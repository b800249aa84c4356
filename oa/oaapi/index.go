package oaapi

import "net/http"

// indexPage is what / serves until the web UI (built separately, like the
// agent bar's) is embedded: where the API and its description are.
const indexPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>yimen OA</title>
<style>body{font:15px/1.6 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}code{background:#f3f3f3;padding:0 .3em}</style>
</head><body>
<h1>yimen OA · 工单与客户</h1>
<p>The OA's web UI is built separately (Vue 3 + Element Plus, like the agent bar) and is not part of this build.
This server is running: its JSON API is complete and described at <a href="/api/openapi.json"><code>/api/openapi.json</code></a>.</p>
<ul>
<li>Log in: <code>POST /api/v1/login</code> with <code>{"tenant","name","password"}</code>, or with a one-login token from the PBX:
<code>POST /api/v1/sso/login</code> with <code>{"token"}</code>.</li>
<li>我的工单: <code>GET /api/v1/tickets?view=mine</code>, counts at <code>GET /api/v1/my/counts</code>.</li>
<li>Customers, contact records, tickets, departments, categories: see the OpenAPI document.</li>
</ul>
</body></html>
`

func index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write([]byte(indexPage))
}
