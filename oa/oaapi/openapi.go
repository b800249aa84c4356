package oaapi

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/oa"
	"github.com/yimen/yimen/oa/campaign"
	"github.com/yimen/yimen/oa/ctilink"
	"github.com/yimen/yimen/oa/knowledge"
	"github.com/yimen/yimen/oa/report"
)

// op documents one route for the OpenAPI document.
type op struct {
	Summary string
	Tag     string
	Query   []string // "name: what it is"
	Body    any      // a value of the request body's type; nil: none
	Reply   any      // a value of the reply's type; nil: none (204) or free-form
	Status  int      // success status; 0: 200
}

type page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

type credentials struct {
	Tenant   string `json:"tenant"`
	Name     string `json:"name"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
	Bearer   bool   `json:"bearer,omitempty"`
}

type sessionReply struct {
	UserID             string    `json:"user_id"`
	Tenant             string    `json:"tenant"`
	Name               string    `json:"name"`
	CSRFToken          string    `json:"csrf_token,omitempty"`
	Token              string    `json:"token,omitempty"`
	ExpiresAt          time.Time `json:"expires_at"`
	MustChangePassword bool      `json:"must_change_password"`
}

var reportParams = []string{"from: RFC 3339 or a date (start of today)", "to: RFC 3339 or a date, included (now)", "format: json, csv or xlsx"}

var pagingParams = []string{"limit: page size, 1-500 (50)", "offset: rows skipped", "sort: a column the listing allows", "desc: true for descending"}

// operations documents every route the OA serves, its own and the platform
// admin API's, by route key. TestOpenAPIMatchesTheRoutes holds the two to
// each other.
var operations = map[string]op{
	"GET /healthz":          {Summary: "Liveness", Tag: "meta", Reply: map[string]string{}},
	"GET /api/openapi.json": {Summary: "This document", Tag: "meta"},
	"POST /api/v1/sso/login": {Summary: "One login: open an OA session with a token the PBX issued (POST /api/v1/sso/token there)", Tag: "session",
		Body: struct {
			Token  string `json:"token"`
			Bearer bool   `json:"bearer,omitempty"`
		}{}, Reply: sessionReply{}},
	"GET /api/v1/me":                       {Summary: "The caller, their OA profile and what they may see", Tag: "session", Reply: map[string]any{}},
	"GET /api/v1/my/counts":                {Summary: "我的工单: open tickets per view", Tag: "tickets", Reply: oa.MyCounts{}},
	"GET /api/v1/notifications":            {Summary: "The caller's notifications, unread first", Tag: "tickets", Reply: page[oa.Notification]{}},
	"POST /api/v1/notifications/{id}/read": {Summary: "Mark a notification read", Tag: "tickets", Status: 204},
	"GET /api/v1/notifications/stream": {Summary: "New notifications pushed as server-sent events (text/event-stream: id, event: notification, data: a Notification), from Last-Event-ID or since, else from now", Tag: "tickets",
		Query: []string{"since: a notification id; those after it are sent first"}},

	"GET /api/v1/customers": {Summary: "客户查询: search customers (numbers masked unless the caller holds oa.customer.pii)", Tag: "customers",
		Query: append([]string{"name: name prefix", "phone: any form of a number (+86…, 0…, 400…)", "id_no: resident ID number", "type: customer type code", "tag: a tag", "vip: true or false"}, pagingParams...),
		Reply: page[oa.Customer]{}},
	"POST /api/v1/customers":     {Summary: "Create a customer", Tag: "customers", Body: oa.CustomerInput{}, Reply: oa.Customer{}, Status: 201},
	"GET /api/v1/customers/{id}": {Summary: "Read a customer (audited)", Tag: "customers", Reply: oa.Customer{}},
	"PUT /api/v1/customers/{id}": {Summary: "Replace a customer's fields and numbers", Tag: "customers", Body: oa.CustomerInput{}, Reply: oa.Customer{}},
	"POST /api/v1/customers/{id}/merge": {Summary: "Merge a duplicate into this customer (numbers, contacts, tickets, follow-ups move; audited)", Tag: "customers", Body: struct {
		Duplicate int64 `json:"duplicate"`
	}{}, Reply: oa.Customer{}},
	"GET /api/v1/customers/{id}/followups": {Summary: "A customer's follow-ups", Tag: "customers", Reply: page[oa.Followup]{}},
	"POST /api/v1/customers/{id}/followups": {Summary: "Add a follow-up", Tag: "customers", Body: struct {
		Note  string `json:"note"`
		DueAt int64  `json:"due_at,omitempty"`
	}{}, Reply: oa.Followup{}, Status: 201},
	"GET /api/v1/customer-types":        {Summary: "Customer types and their custom fields", Tag: "customers", Reply: page[oa.CustomerType]{}},
	"PUT /api/v1/customer-types/{code}": {Summary: "Declare or change a customer type (config.write)", Tag: "customers", Body: oa.CustomerType{}, Reply: oa.CustomerType{}},
	"GET /api/v1/card": {Summary: "The screen-pop card for a number", Tag: "customers", Query: []string{"caller: the number (required)", "call: the call id, left out of recent contacts"},
		Reply: oa.Card{}},

	"GET /api/v1/contacts": {Summary: "联系记录查询: contact records, newest first", Tag: "contacts",
		Query: append([]string{"customer_id: a customer", "agent: an agent id", "queue: a queue", "kind: answered, missed, abandoned, voicemail", "phone: the caller, any form", "call_id: one call's record (the screen pop's call)", "from: started at or after (Unix ms)", "to: started before (Unix ms)"}, pagingParams...),
		Reply: page[oa.Contact]{}},
	"GET /api/v1/contacts/{id}":            {Summary: "Read a contact record", Tag: "contacts", Reply: oa.Contact{}},
	"PATCH /api/v1/contacts/{id}":          {Summary: "Write an agent's notes, disposition code or customer on a contact record", Tag: "contacts", Body: oa.ContactUpdate{}, Reply: oa.Contact{}},
	"GET /api/v1/disposition-codes":        {Summary: "Disposition codes", Tag: "contacts", Reply: page[oa.DispositionCode]{}},
	"PUT /api/v1/disposition-codes/{code}": {Summary: "Declare or rename a disposition code (config.write)", Tag: "contacts", Body: oa.DispositionCode{}, Reply: oa.DispositionCode{}},

	"GET /api/v1/tickets": {Summary: "工单查询 and 我的工单: tickets, newest first", Tag: "tickets",
		Query: append([]string{"view: mine, department, created, watched", "state: a state", "open: true or false", "category_id", "customer_id", "priority: low, normal, high, urgent",
			"outlet_no: a lottery outlet's number", "sla_state: warning, breached, escalated", "q: text in the title", "from: created at or after (Unix ms)", "to: created before (Unix ms)"}, pagingParams...),
		Reply: page[oa.Ticket]{}},
	"POST /api/v1/tickets":     {Summary: "工单录入: open a ticket in 受理 (from a call: contact_id prefills caller, customer and outlet)", Tag: "tickets", Body: oa.TicketInput{}, Reply: oa.Ticket{}, Status: 201},
	"GET /api/v1/tickets/{id}": {Summary: "A ticket with its timeline, its attachments and the actions the caller may take on it now", Tag: "tickets", Reply: ticketDetail{}},
	"POST /api/v1/tickets/{id}/transitions": {Summary: "工单办理: one action (dispatch, sign, handle, resolve, visit, archive, transfer, return, extend, extend_approve, extend_reject, supervise, reopen, comment); an action the state does not allow is 409", Tag: "tickets",
		Body: oa.TransitionInput{}, Reply: oa.Ticket{}},
	"POST /api/v1/tickets/{id}/visit-call": {Summary: "回访 as click-to-dial: the PBX rings the caller's phone (their OA profile's agent), then the customer (ticket resolved); 502 when the PBX refuses", Tag: "tickets",
		Reply: map[string]string{}},
	"POST /api/v1/tickets/{id}/watch":   {Summary: "Watch a ticket", Tag: "tickets", Status: 204},
	"DELETE /api/v1/tickets/{id}/watch": {Summary: "Stop watching a ticket", Tag: "tickets", Status: 204},
	"POST /api/v1/tickets/{id}/links": {Summary: "Link a related ticket", Tag: "tickets", Body: struct {
		OtherID int64 `json:"other_id"`
	}{}, Status: 204},
	"POST /api/v1/tickets/{id}/merge": {Summary: "Close this ticket as a duplicate of another (oa.ticket.supervise): archived, linked, its followers follow the other; both timelines record it", Tag: "tickets",
		Body: mergeInput{}, Reply: oa.Ticket{}},
	"POST /api/v1/tickets/{id}/attachments":      {Summary: "Attach a file (multipart field file; images, PDF, text, zip, WAV, MP3; at most 10 MiB; stored SM4-sealed)", Tag: "tickets", Reply: oa.Attachment{}, Status: 201},
	"GET /api/v1/tickets/{id}/attachments/{aid}": {Summary: "Download an attachment (audited)", Tag: "tickets"},

	"GET /api/v1/departments": {Summary: "The department tree", Tag: "organisation", Reply: page[*oa.Department]{}},
	"POST /api/v1/departments": {Summary: "Add a department (config.write)", Tag: "organisation", Body: struct {
		ParentID int64  `json:"parent_id,omitempty"`
		Name     string `json:"name"`
	}{}, Reply: oa.Department{}, Status: 201},
	"GET /api/v1/staff":           {Summary: "Users' OA profiles", Tag: "organisation", Query: []string{"department_id: one department's"}, Reply: page[oa.Staff]{}},
	"PUT /api/v1/staff/{user}":    {Summary: "Set a user's department, display name and agent id (user.write)", Tag: "organisation", Body: oa.Staff{}, Reply: oa.Staff{}},
	"GET /api/v1/categories":      {Summary: "The ticket category tree with workflows and SLA limits", Tag: "organisation", Reply: page[*oa.Category]{}},
	"POST /api/v1/categories":     {Summary: "Add a category (config.write)", Tag: "organisation", Body: oa.Category{}, Reply: oa.Category{}, Status: 201},
	"PUT /api/v1/categories/{id}": {Summary: "Change a category (config.write)", Tag: "organisation", Body: oa.Category{}, Reply: oa.Category{}},
	"GET /api/v1/export/tickets.xlsx": {Summary: "Excel export of a ticket search (the GET /tickets filters; streamed; X-Total-Count gives the rows for a progress bar; at most 1,048,575)", Tag: "tickets",
		Query: []string{"view", "state", "open", "category_id", "customer_id", "priority", "outlet_no", "sla_state", "q", "from", "to", "sort", "desc"}},
	"GET /api/v1/saved-queries":         {Summary: "The caller's saved queries (综合查询)", Tag: "tickets", Reply: page[oa.SavedQuery]{}},
	"POST /api/v1/saved-queries":        {Summary: "Save (or replace by name) a query: target tickets, contacts or customers and its query string", Tag: "tickets", Body: oa.SavedQuery{}, Reply: oa.SavedQuery{}, Status: 201},
	"DELETE /api/v1/saved-queries/{id}": {Summary: "Delete a saved query", Tag: "tickets", Status: 204},
	"GET /api/v1/cti/status":            {Summary: "The CTI links to the PBX, by tenant", Tag: "meta", Reply: map[string]ctilink.Stats{}},

	"GET /api/v1/knowledge/bases":           {Summary: "知识库: the bases the caller's department may read (every base to editors)", Tag: "knowledge", Reply: page[knowledge.Base]{}},
	"POST /api/v1/knowledge/bases":          {Summary: "Create a base; departments lists who may read it (empty: the whole tenant)", Tag: "knowledge", Body: knowledge.Base{}, Reply: knowledge.Base{}, Status: 201},
	"PUT /api/v1/knowledge/bases/{id}":      {Summary: "Rename a base and set the departments that read it (sub-departments inherit)", Tag: "knowledge", Body: knowledge.Base{}, Reply: knowledge.Base{}},
	"GET /api/v1/knowledge/bases/{id}/dirs": {Summary: "A base's directory tree", Tag: "knowledge", Reply: page[*knowledge.Dir]{}},
	"POST /api/v1/knowledge/bases/{id}/dirs": {Summary: "Add a directory", Tag: "knowledge", Body: struct {
		ParentID int64  `json:"parent_id,omitempty"`
		Name     string `json:"name"`
	}{}, Reply: knowledge.Dir{}, Status: 201},
	"GET /api/v1/knowledge/articles": {Summary: "A base's live articles, most popular first (every article, with drafts' titles, to editors)", Tag: "knowledge",
		Query: []string{"base_id: the base (required)", "dir_id: one directory", "limit: 1-500 (50)", "offset: rows skipped"}, Reply: page[knowledge.Article]{}},
	"POST /api/v1/knowledge/articles": {Summary: "Write a new article: version 1, a draft (rich text sanitised: scripts, handlers, frames dropped)", Tag: "knowledge",
		Body: knowledge.ArticleInput{}, Reply: knowledge.Article{}, Status: 201},
	"GET /api/v1/knowledge/articles/{id}": {Summary: "Read an article with its attachments; a reader's read counts as a view (知识热度); editors get the pending version too (view=true counts theirs)", Tag: "knowledge",
		Query: []string{"view: true to read and count as a reader"}, Reply: articleDetail{}},
	"PUT /api/v1/knowledge/articles/{id}":            {Summary: "Edit: replaces the open draft or starts a new version; the published one stays live until the new one is approved; 409 while in review", Tag: "knowledge", Body: knowledge.ArticleInput{}, Reply: knowledge.Article{}},
	"POST /api/v1/knowledge/articles/{id}/submit":    {Summary: "Send the draft to review (审核)", Tag: "knowledge", Reply: knowledge.Version{}},
	"POST /api/v1/knowledge/articles/{id}/review":    {Summary: "Approve (publish) or reject the version in review; its editor cannot (403)", Tag: "knowledge", Body: reviewInput{}, Reply: knowledge.Version{}},
	"POST /api/v1/knowledge/articles/{id}/unpublish": {Summary: "下架: take an article out of reading and search", Tag: "knowledge", Status: 204},
	"GET /api/v1/knowledge/articles/{id}/versions":   {Summary: "An article's versions, newest first", Tag: "knowledge", Reply: page[knowledge.Version]{}},
	"POST /api/v1/knowledge/articles/{id}/vote": {Summary: "Helpful or not (one vote per user; a second replaces it)", Tag: "knowledge", Body: struct {
		Helpful bool `json:"helpful"`
	}{}, Reply: knowledge.Article{}},
	"POST /api/v1/knowledge/articles/{id}/attachments":      {Summary: "Attach a file (multipart field file; the tickets' types and size; stored SM4-sealed)", Tag: "knowledge", Reply: knowledge.Attachment{}, Status: 201},
	"GET /api/v1/knowledge/articles/{id}/attachments/{aid}": {Summary: "Download an attachment of an article the caller reads", Tag: "knowledge"},
	"GET /api/v1/knowledge/reviews":                         {Summary: "Versions waiting for review", Tag: "knowledge", Reply: page[knowledge.Version]{}},
	"GET /api/v1/knowledge/search": {Summary: "知识检索: Chinese full-text search of the live articles the caller's department reads; synonyms, highlighted snippets (<mark>), ranking by relevance and 知识热度", Tag: "knowledge",
		Query: []string{`q: words, "a phrase", -excluded (at most 400 bytes)`, "base_id: one base", "limit: 1-100 (10)", "offset: hits skipped", "all: true for an editor to search every base"},
		Reply: knowledge.SearchReply{}},
	"GET /api/v1/knowledge/suggest": {Summary: "Suggestions while typing: matching titles, earlier searches that found something, titles a search finds", Tag: "knowledge",
		Query: []string{"q: what has been typed", "limit: 1-20 (8)"}, Reply: page[knowledge.Suggestion]{}},
	"GET /api/v1/knowledge/for-categories": {Summary: "The live articles answering ticket categories, most popular first (the screen pop's articles for the caller's open tickets)", Tag: "knowledge",
		Query: []string{"category_id: comma-separated category ids (at most 50)"}, Reply: page[knowledge.Article]{}},
	"POST /api/v1/knowledge/bar/token": {Summary: "The agent bar trades a one-login token (POST /api/v1/sso/token at the PBX) for a knowledge token: 10 minutes, taken only by /knowledge/bar/ routes (every other route answers it 401); CORS for sso.bar_origins only, another browser origin 403", Tag: "knowledge",
		Body: struct {
			Token string `json:"token"`
		}{}, Reply: barTokenReply{}},
	"OPTIONS /api/v1/knowledge/bar/token":   {Summary: "CORS preflight: 204 with Access-Control-Allow-Origin for an origin in sso.bar_origins, 403 and no CORS header for any other", Tag: "knowledge"},
	"GET /api/v1/knowledge/bar/suggest":     {Summary: "Suggestions for the agent bar with its knowledge token (Authorization: Bearer kbt.…), as /knowledge/suggest for the agent's department; 401 when the token is not valid or expired", Tag: "knowledge", Query: []string{"q: what has been typed", "limit: 1-20 (8)"}, Reply: page[knowledge.Suggestion]{}},
	"OPTIONS /api/v1/knowledge/bar/suggest": {Summary: "CORS preflight, as for /knowledge/bar/token", Tag: "knowledge"},
	"GET /api/v1/knowledge/synonyms":        {Summary: "Synonym groups", Tag: "knowledge", Reply: synonymGroups{}},
	"PUT /api/v1/knowledge/synonyms":        {Summary: "Replace the synonym groups (each term in one group)", Tag: "knowledge", Body: synonymGroups{}, Reply: synonymGroups{}},

	"GET /api/v1/reports/traffic": {Summary: "客服话务统计 (report API v1): per queue, agent, interval, hour or day; offered, answered, abandoned, service level, ASA, AHT, talk/hold/ACW, occupancy, not-ready by reason; formulas included; rate-limited per caller (429)", Tag: "reports",
		Query: append([]string{"by: queue, agent, interval, hour or day", "queue: one queue", "agent: one agent", "sl_seconds: Y of the service level (5, 10, 15, 20, 30, 60)",
			"abandon_method: failures, ignored or short_excluded", "short_abandon_s: T of a short abandon"}, reportParams...), Reply: report.Table{}},
	"GET /api/v1/reports/tickets": {Summary: "工单统计: created, resolved, archived by category, department, channel or day; or by state", Tag: "reports",
		Query: append([]string{"by: category, department, channel, day or status"}, reportParams...), Reply: report.Table{}},
	"GET /api/v1/reports/ticket-handling": {Summary: "工单处理统计: on-time 签收 and 办结 rates, returns, reopens, satisfaction by department or category", Tag: "reports",
		Query: append([]string{"by: department or category"}, reportParams...), Reply: report.Table{}},
	"GET /api/v1/reports/customers": {Summary: "客户统计: by type or region, or callers new and returning", Tag: "reports",
		Query: append([]string{"by: type, region or new_returning"}, reportParams...), Reply: report.Table{}},
	"GET /api/v1/reports/cdrs": {Summary: "明细报表: every call with queue, agent, waits, talk, hold, ACW, disposition, transfer path, survey score, recording link; newest first; X-Total-Count (audited)", Tag: "reports",
		Query: append([]string{"queue", "agent", "direction: inbound, outbound, internal", "disposition", "outcome: answered, abandoned, overflowed, missed", "limit: 1-10000 (100)", "offset: rows skipped"}, reportParams...),
		Reply: report.Table{}},
	"GET /api/v1/reports/dashboard": {Summary: "首页图形化报表: the tenant's charts' data (hourly up to two days, daily beyond)", Tag: "reports",
		Query: []string{"from: RFC 3339 or a date (today)", "to: RFC 3339 or a date, included (now)"}, Reply: dashboardReply{}},
	"GET /api/v1/reports/dashboard/charts": {Summary: "Which charts the home page shows, and which there are", Tag: "reports", Reply: dashboardConfig{}},
	"PUT /api/v1/reports/dashboard/charts": {Summary: "Choose the home page's charts, in order (config.write)", Tag: "reports", Body: dashboardConfig{}, Reply: dashboardConfig{}},
	"GET /api/v1/reports/formulas": {Summary: "Every KPI's formula under the service-level definition in force (or the one asked for)", Tag: "reports",
		Query: []string{"sl_seconds", "abandon_method", "short_abandon_s"}, Reply: map[string]any{}},
	"POST /api/v1/reports/reconcile": {Summary: "Compare a period's calls with the PBX's CDRs and fill what the facts lack (config.write; at most 31 days)", Tag: "reports",
		Query: []string{"from: RFC 3339 or a date", "to: RFC 3339 or a date, included"}, Reply: report.ReconcileResult{}},

	// The platform admin API (internal/adminapi), as every yimen server mounts it.
	"POST /api/v1/login":           {Summary: "Log in with a password (and TOTP)", Tag: "session", Body: credentials{}, Reply: sessionReply{}},
	"POST /api/v1/login/challenge": {Summary: "An SM2 login challenge", Tag: "session", Reply: map[string]any{}},
	"POST /api/v1/login/sm2":       {Summary: "Log in with an SM2 signature", Tag: "session", Reply: sessionReply{}},
	"POST /api/v1/logout":          {Summary: "Log out", Tag: "session"},
	"GET /api/v1/session":          {Summary: "The current session", Tag: "session", Reply: sessionReply{}},
	"POST /api/v1/password": {Summary: "密码修改: change one's password under the password rules", Tag: "session", Body: struct {
		Old string `json:"old"`
		New string `json:"new"`
	}{}},
	"POST /api/v1/totp":                                   {Summary: "Enrol a TOTP second factor", Tag: "session"},
	"POST /api/v1/totp/confirm":                           {Summary: "Confirm the TOTP second factor", Tag: "session"},
	"PUT /api/v1/sm2-key":                                 {Summary: "Register an SM2 login key", Tag: "session"},
	"POST /api/v1/tenants/{tenant}/users":                 {Summary: "Create a user (sysadmin)", Tag: "admin"},
	"GET /api/v1/tenants/{tenant}/users/{name}":           {Summary: "Read a user", Tag: "admin"},
	"POST /api/v1/tenants/{tenant}/users/{name}/password": {Summary: "Reset a user's password (sysadmin)", Tag: "admin"},
	"POST /api/v1/tenants/{tenant}/users/{name}/disable":  {Summary: "Disable a user (sysadmin)", Tag: "admin"},
	"POST /api/v1/tenants/{tenant}/users/{name}/enable":   {Summary: "Enable a user (sysadmin)", Tag: "admin"},
	"POST /api/v1/tenants/{tenant}/users/{name}/unlock":   {Summary: "Lift a lockout (sysadmin)", Tag: "admin"},
	"POST /api/v1/tenants/{tenant}/tokens":                {Summary: "Mint an API token (sysadmin)", Tag: "admin"},
	"DELETE /api/v1/tokens/{id}":                          {Summary: "Revoke an API token (sysadmin)", Tag: "admin"},
	"GET /api/v1/roles":                                   {Summary: "Roles and permissions (secadmin)", Tag: "admin"},
	"GET /api/v1/users/{id}/roles":                        {Summary: "A user's roles (secadmin)", Tag: "admin"},
	"POST /api/v1/users/{id}/roles":                       {Summary: "Assign a role (secadmin)", Tag: "admin"},
	"DELETE /api/v1/users/{id}/roles/{role}":              {Summary: "Revoke a role (secadmin)", Tag: "admin"},
	"POST /api/v1/roles/{role}/permissions":               {Summary: "Grant a permission to a role (secadmin)", Tag: "admin"},
	"DELETE /api/v1/roles/{role}/permissions/{perm}":      {Summary: "Revoke a permission from a role (secadmin)", Tag: "admin"},
	"GET /api/v1/audit":                                   {Summary: "Search the audit log (auditor)", Tag: "admin"},
	"GET /api/v1/audit/export":                            {Summary: "Export the audit log (auditor)", Tag: "admin"},
	"GET /api/v1/audit/verify":                            {Summary: "Verify the audit chain (auditor)", Tag: "admin"},
	"GET /api/v1/campaigns": {Summary: "外呼管理: the campaigns, newest first", Tag: "campaigns", Query: append([]string{"state: draft, running, paused, stopped or done"}, pagingParams...),
		Reply: page[campaign.Campaign]{}},
	"POST /api/v1/campaigns": {Summary: "Create a campaign (draft): preview or progressive, agents, pacing, retries, calling hours, caller ID (audited)", Tag: "campaigns",
		Body: campaign.Input{}, Reply: campaign.Campaign{}, Status: 201},
	"POST /api/v1/campaigns/generate": {Summary: "Create a campaign from the OA's records: today's abandoned callers, tickets resolved N days ago awaiting 回访, unanswered callbacks", Tag: "campaigns",
		Body: campaign.GenerateInput{}, Reply: generated{}, Status: 201},
	"GET /api/v1/campaigns/{id}": {Summary: "Read a campaign", Tag: "campaigns", Reply: campaign.Campaign{}},
	"PUT /api/v1/campaigns/{id}": {Summary: "Change a campaign's settings (audited)", Tag: "campaigns", Body: campaign.Input{}, Reply: campaign.Campaign{}},
	"POST /api/v1/campaigns/{id}/control": {Summary: "Start, pause, resume or stop a campaign (409 when its state does not allow it; audited)", Tag: "campaigns",
		Body: controlInput{}, Reply: campaign.Campaign{}},
	"GET /api/v1/campaigns/{id}/progress": {Summary: "Monitoring: dialled, reached, remaining, success rate, agents ready and on a call, why nothing is dialled (holiday, hours)", Tag: "campaigns",
		Reply: campaign.Progress{}},
	"GET /api/v1/campaigns/{id}/progress/stream": {Summary: "Monitoring pushed: server-sent events (event: progress, the progress JSON) at once and at every change, at most 4 a second, ending when the campaign is stopped or done", Tag: "campaigns"},
	"GET /api/v1/campaigns/{id}/targets": {Summary: "The campaign's numbers (masked) and where each stands", Tag: "campaigns",
		Query: append([]string{"state: pending, reserved, dialing, done, failed or skipped"}, pagingParams...), Reply: page[campaign.Target]{}},
	"POST /api/v1/campaigns/{id}/targets": {Summary: "Add numbers by hand: each row stored whole or reported by its place with why", Tag: "campaigns",
		Body: []campaign.NewTarget{}, Reply: campaign.Report{}},
	"POST /api/v1/campaigns/{id}/import": {Summary: "Import a list: the body is a CSV (text/csv, UTF-8, header phone/电话, name/姓名, note/备注) or an Excel workbook; rejected rows by line and why, nothing of them stored", Tag: "campaigns",
		Reply: campaign.Report{}},
	"GET /api/v1/campaigns/{id}/attempts": {Summary: "The campaign's attempts, each with its call (CDR) id, contact record and recording", Tag: "campaigns",
		Query: []string{"target: one number's attempts"}, Reply: page[campaign.Attempt]{}},
	"POST /api/v1/campaigns/{id}/attempts/{aid}/disposition": {Summary: "The disposition of an ended attempt, the number's latest, by the agent who made it (their OA profile's agent) or a supervisor: reached, no_answer, busy, wrong_number, refused, callback (with callback_at)", Tag: "campaigns",
		Body: campaign.DispositionInput{}, Reply: campaign.Attempt{}},
	"POST /api/v1/campaigns/{id}/next": {Summary: "Preview: reserve the next due number for the caller's agent and show its card (404: nothing due; 409: outside calling hours)", Tag: "campaigns",
		Reply: campaign.Card{}},
	"POST /api/v1/campaigns/{id}/targets/{tid}/dial": {Summary: "Preview: dial the number on the caller's card through their phone (502 when the PBX refuses)", Tag: "campaigns",
		Reply: campaign.Attempt{}},
	"POST /api/v1/campaigns/{id}/targets/{tid}/skip": {Summary: "Preview: put the number on the caller's card back undialled", Tag: "campaigns", Status: 204},
	"POST /api/v1/campaigns/{id}/targets/{tid}/visit": {Summary: "回访 result of a reached number carrying its ticket: satisfied/basically archive it, dissatisfied reopens it (重办) unless its category archives", Tag: "campaigns",
		Body: campaign.VisitInput{}, Reply: oa.Ticket{}},
	"GET /api/v1/dnc":         {Summary: "The do-not-call list (masked)", Tag: "campaigns", Query: pagingParams, Reply: page[campaign.DNCEntry]{}},
	"POST /api/v1/dnc":        {Summary: "Put a number on the do-not-call list: no campaign imports or dials it (audited)", Tag: "campaigns", Body: dncInput{}, Reply: campaign.DNCEntry{}, Status: 201},
	"POST /api/v1/dnc/remove": {Summary: "Take a number off the do-not-call list (audited)", Tag: "campaigns", Body: dncInput{}, Status: 204},
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPIPath is a ServeMux pattern as an OpenAPI path ("/{$}" is "/").
func OpenAPIPath(pattern string) string {
	return strings.ReplaceAll(pattern, "{$}", "")
}

// Document is the OpenAPI 3.1 description of routes.
func Document(routes []route.Route) map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		o, ok := operations[rt.Key()]
		if !ok {
			o = op{Summary: "(undocumented)"}
		}
		p := OpenAPIPath(rt.Pattern)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range o.Query {
			name, desc, _ := strings.Cut(q, ":")
			params = append(params, map[string]any{"name": strings.TrimSpace(name), "in": "query", "description": strings.TrimSpace(desc), "schema": map[string]any{"type": "string"}})
		}
		status := o.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok200 := map[string]any{"description": http.StatusText(status)}
		if o.Reply != nil {
			ok200["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(o.Reply))}}
		}
		responses := map[string]any{itoa(status): ok200,
			"400": ref("the input is wrong; fields names each problem"), "401": ref("not logged in"), "403": ref("not permitted"),
			"404": ref("no such thing"), "409": ref("not possible in the current state")}
		opDoc := map[string]any{"summary": o.Summary, "tags": []string{o.Tag}, "responses": responses, "operationId": strings.ToLower(rt.Method) + strings.ReplaceAll(p, "/", "_")}
		if rt.Public {
			opDoc["security"] = []any{}
		} else {
			opDoc["x-permission"] = rt.Perm
		}
		if len(params) > 0 {
			opDoc["parameters"] = params
		}
		if o.Body != nil {
			opDoc["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(o.Body))}}}
		}
		paths[p][strings.ToLower(rt.Method)] = opDoc
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "yimen OA", "version": "1", "description": "Customers, contact records, tickets (工单) with SLA, the knowledge base, the statistics reports (report API v1: JSON, CSV and Excel, with API tokens and a per-caller rate limit), and the platform admin API. Times are Unix milliseconds unless named _at with a date-time format. docs/oa.md explains the state machine and the SLA rules."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "yimen_session", "description": "with the X-CSRF-Token header on changes"},
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
			},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "properties": map[string]any{
				"error":  map[string]any{"type": "string"},
				"fields": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "field → what is wrong with it"},
			}}},
		},
		"security": []any{map[string]any{"session": []any{}}, map[string]any{"bearer": []any{}}},
	}
}

func ref(desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
}

func itoa(n int) string { return strconv.Itoa(n) }

var timeType = reflect.TypeOf(time.Time{})

// schemaOf describes a Go type as JSON Schema, by its json tags.
func schemaOf(t reflect.Type) map[string]any { return schemaIn(t, map[reflect.Type]bool{}) }

// schemaIn is schemaOf inside the structs being described (seen): a tree
// (departments, categories) refers to itself, described once.
func schemaIn(t reflect.Type, seen map[reflect.Type]bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaIn(t.Elem(), seen)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaIn(t.Elem(), seen)}
	case reflect.Struct:
		if seen[t] {
			return map[string]any{"type": "object", "description": "the enclosing " + t.Name() + ", nested"}
		}
		seen[t] = true
		defer delete(seen, t)
		props := map[string]any{}
		addFields(t, props, seen)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any, seen map[reflect.Type]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			addFields(f.Type, props, seen)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaIn(f.Type, seen)
	}
}

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, Document(append(a.Routes(), a.d.PlatformRoutes...)))
}
