package oaapi

import (
	"net/http"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/internal/version"
)

// Routes is the OA's own route table (the platform's admin API, mounted
// beside it, adds login, users, roles and the audit log). Writes are
// audited by the guard; reads of a customer, which show personal data, too.
func (a *API) Routes() []route.Route {
	f := func(h http.HandlerFunc) http.Handler { return h }
	any := route.AnyUser
	login := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, http.StatusServiceUnavailable, "one login is not configured")
	}))
	if a.d.Security != nil {
		login = a.d.Security.Auth.VouchedLoginHandler(a.vouch)
	}
	return []route.Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Handler: f(func(w http.ResponseWriter, r *http.Request) {
			httpx.WriteJSON(w, 200, struct {
				Status  string       `json:"status"`
				Version version.Info `json:"version"`
			}{"ok", version.Get()})
		})},
		{Method: "GET", Pattern: "/api/openapi.json", Public: true, Handler: f(a.openAPI)},
		{Method: "POST", Pattern: "/api/v1/sso/login", Public: true, Handler: login},
		{Method: "GET", Pattern: "/api/v1/me", Perm: any, Action: "oa.me", Handler: f(a.me)},
		{Method: "GET", Pattern: "/api/v1/my/counts", Perm: any, Action: "oa.ticket.counts", Handler: f(a.myCounts)},
		{Method: "GET", Pattern: "/api/v1/notifications", Perm: any, Action: "oa.notification.list", Handler: f(a.notificationList)},
		{Method: "GET", Pattern: "/api/v1/notifications/stream", Perm: any, Action: "oa.notification.stream", Handler: f(a.notificationStream)},
		{Method: "POST", Pattern: "/api/v1/notifications/{id}/read", Perm: any, Action: "oa.notification.read", Handler: f(a.notificationRead)},

		{Method: "GET", Pattern: "/api/v1/customers", Perm: rbac.PermOACustomerRead, Action: "oa.customer.search", Reads: true, Handler: f(a.customerList)},
		{Method: "POST", Pattern: "/api/v1/customers", Perm: rbac.PermOACustomerWrite, Action: "oa.customer.create", Handler: f(a.customerCreate)},
		{Method: "GET", Pattern: "/api/v1/customers/{id}", Perm: rbac.PermOACustomerRead, Action: "oa.customer.read", Reads: true, Handler: f(a.customerGet)},
		{Method: "PUT", Pattern: "/api/v1/customers/{id}", Perm: rbac.PermOACustomerWrite, Action: "oa.customer.update", Handler: f(a.customerUpdate)},
		{Method: "POST", Pattern: "/api/v1/customers/{id}/merge", Perm: rbac.PermOACustomerWrite, Action: "oa.customer.merge", Handler: f(a.customerMerge)},
		{Method: "GET", Pattern: "/api/v1/customers/{id}/followups", Perm: rbac.PermOACustomerRead, Action: "oa.followup.list", Handler: f(a.followupList)},
		{Method: "POST", Pattern: "/api/v1/customers/{id}/followups", Perm: rbac.PermOACustomerWrite, Action: "oa.followup.create", Handler: f(a.followupCreate)},
		{Method: "GET", Pattern: "/api/v1/customer-types", Perm: any, Action: "oa.customer_type.list", Handler: f(a.customerTypeList)},
		{Method: "PUT", Pattern: "/api/v1/customer-types/{code}", Perm: rbac.PermConfigWrite, Action: "oa.customer_type.put", Handler: f(a.customerTypePut)},
		{Method: "GET", Pattern: "/api/v1/card", Perm: rbac.PermOACustomerRead, Action: "oa.card", Reads: true, Handler: f(a.cardGet)},

		{Method: "GET", Pattern: "/api/v1/contacts", Perm: rbac.PermOAContactRead, Action: "oa.contact.search", Handler: f(a.contactList)},
		{Method: "GET", Pattern: "/api/v1/contacts/{id}", Perm: rbac.PermOAContactRead, Action: "oa.contact.read", Handler: f(a.contactGet)},
		{Method: "PATCH", Pattern: "/api/v1/contacts/{id}", Perm: rbac.PermOAContactWrite, Action: "oa.contact.update", Handler: f(a.contactUpdate)},
		{Method: "GET", Pattern: "/api/v1/disposition-codes", Perm: any, Action: "oa.disposition.list", Handler: f(a.dispositionList)},
		{Method: "PUT", Pattern: "/api/v1/disposition-codes/{code}", Perm: rbac.PermConfigWrite, Action: "oa.disposition.put", Handler: f(a.dispositionPut)},

		{Method: "GET", Pattern: "/api/v1/tickets", Perm: rbac.PermOATicketRead, Action: "oa.ticket.search", Handler: f(a.ticketList)},
		{Method: "POST", Pattern: "/api/v1/tickets", Perm: rbac.PermOATicketWrite, Action: "oa.ticket.create", Handler: f(a.ticketCreate)},
		{Method: "GET", Pattern: "/api/v1/tickets/{id}", Perm: rbac.PermOATicketRead, Action: "oa.ticket.read", Handler: f(a.ticketGet)},
		{Method: "POST", Pattern: "/api/v1/tickets/{id}/transitions", Perm: rbac.PermOATicketWrite, Action: "oa.ticket.transition", Handler: f(a.ticketTransition)},
		{Method: "POST", Pattern: "/api/v1/tickets/{id}/visit-call", Perm: rbac.PermOATicketWrite, Action: "oa.ticket.visit_call", Handler: f(a.visitCall)},
		{Method: "POST", Pattern: "/api/v1/tickets/{id}/watch", Perm: rbac.PermOATicketRead, Action: "oa.ticket.watch", Handler: a.ticketWatch(true)},
		{Method: "DELETE", Pattern: "/api/v1/tickets/{id}/watch", Perm: rbac.PermOATicketRead, Action: "oa.ticket.unwatch", Handler: a.ticketWatch(false)},
		{Method: "POST", Pattern: "/api/v1/tickets/{id}/links", Perm: rbac.PermOATicketWrite, Action: "oa.ticket.link", Handler: f(a.ticketLink)},
		{Method: "POST", Pattern: "/api/v1/tickets/{id}/merge", Perm: rbac.PermOATicketWrite, Action: "oa.ticket.merge", Handler: f(a.ticketMerge)},
		{Method: "POST", Pattern: "/api/v1/tickets/{id}/attachments", Perm: rbac.PermOATicketWrite, Action: "oa.attachment.add", Limit: attachmentLimit, Handler: f(a.attachmentAdd)},
		{Method: "GET", Pattern: "/api/v1/tickets/{id}/attachments/{aid}", Perm: rbac.PermOATicketRead, Action: "oa.attachment.read", Reads: true, Handler: f(a.attachmentGet)},

		{Method: "GET", Pattern: "/api/v1/departments", Perm: any, Action: "oa.department.list", Handler: f(a.departmentList)},
		{Method: "POST", Pattern: "/api/v1/departments", Perm: rbac.PermConfigWrite, Action: "oa.department.create", Handler: f(a.departmentCreate)},
		{Method: "GET", Pattern: "/api/v1/staff", Perm: any, Action: "oa.staff.list", Handler: f(a.staffList)},
		{Method: "PUT", Pattern: "/api/v1/staff/{user}", Perm: rbac.PermUserWrite, Action: "oa.staff.put", Handler: f(a.staffPut)},
		{Method: "GET", Pattern: "/api/v1/categories", Perm: any, Action: "oa.category.list", Handler: f(a.categoryList)},
		{Method: "POST", Pattern: "/api/v1/categories", Perm: rbac.PermConfigWrite, Action: "oa.category.create", Handler: a.categoryPut(true)},
		{Method: "PUT", Pattern: "/api/v1/categories/{id}", Perm: rbac.PermConfigWrite, Action: "oa.category.update", Handler: a.categoryPut(false)},
		{Method: "GET", Pattern: "/api/v1/export/tickets.xlsx", Perm: rbac.PermOAExport, Action: "oa.ticket.export", Reads: true, Handler: f(a.ticketExport)},
		{Method: "GET", Pattern: "/api/v1/saved-queries", Perm: any, Action: "oa.query.list", Handler: f(a.savedQueryList)},
		{Method: "POST", Pattern: "/api/v1/saved-queries", Perm: any, Action: "oa.query.save", Handler: f(a.savedQuerySave)},
		{Method: "DELETE", Pattern: "/api/v1/saved-queries/{id}", Perm: any, Action: "oa.query.delete", Handler: f(a.savedQueryDelete)},

		{Method: "GET", Pattern: "/api/v1/campaigns", Perm: rbac.PermOAContactRead, Action: "oa.campaign.list", Handler: a.campaignList()},
		{Method: "POST", Pattern: "/api/v1/campaigns", Perm: rbac.PermOATicketSupervise, Action: "oa.campaign.create", Handler: a.campaignCreate()},
		{Method: "POST", Pattern: "/api/v1/campaigns/generate", Perm: rbac.PermOATicketSupervise, Action: "oa.campaign.generate", Handler: a.campaignGenerate()},
		{Method: "GET", Pattern: "/api/v1/campaigns/{id}", Perm: rbac.PermOAContactRead, Action: "oa.campaign.read", Handler: a.campaignGet()},
		{Method: "PUT", Pattern: "/api/v1/campaigns/{id}", Perm: rbac.PermOATicketSupervise, Action: "oa.campaign.update", Handler: a.campaignUpdate()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/control", Perm: rbac.PermOATicketSupervise, Action: "oa.campaign.control", Handler: a.campaignControl()},
		{Method: "GET", Pattern: "/api/v1/campaigns/{id}/progress", Perm: rbac.PermOAContactRead, Action: "oa.campaign.progress", Handler: a.campaignProgress()},
		{Method: "GET", Pattern: "/api/v1/campaigns/{id}/progress/stream", Perm: rbac.PermOAContactRead, Action: "oa.campaign.progress_stream", Handler: f(a.campaignStream)},
		{Method: "GET", Pattern: "/api/v1/campaigns/{id}/targets", Perm: rbac.PermOAContactRead, Action: "oa.campaign.targets", Handler: a.campaignTargets()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/targets", Perm: rbac.PermOATicketSupervise, Action: "oa.campaign.targets_add", Handler: a.campaignTargetsAdd()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/import", Perm: rbac.PermOATicketSupervise, Action: "oa.campaign.import", Limit: importLimit, Handler: a.campaignImport()},
		{Method: "GET", Pattern: "/api/v1/campaigns/{id}/attempts", Perm: rbac.PermOAContactRead, Action: "oa.campaign.attempts", Handler: a.campaignAttempts()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/attempts/{aid}/disposition", Perm: rbac.PermOAContactWrite, Action: "oa.campaign.disposition", Handler: a.campaignDisposition()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/next", Perm: rbac.PermOAContactWrite, Action: "oa.campaign.next", Handler: a.campaignNext()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/targets/{tid}/dial", Perm: rbac.PermOAContactWrite, Action: "oa.campaign.dial", Handler: a.campaignDial()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/targets/{tid}/skip", Perm: rbac.PermOAContactWrite, Action: "oa.campaign.skip", Handler: a.campaignSkip()},
		{Method: "POST", Pattern: "/api/v1/campaigns/{id}/targets/{tid}/visit", Perm: rbac.PermOATicketWrite, Action: "oa.campaign.visit", Handler: a.campaignVisit()},
		{Method: "GET", Pattern: "/api/v1/dnc", Perm: rbac.PermOAContactRead, Action: "oa.dnc.list", Handler: a.dncList()},
		{Method: "POST", Pattern: "/api/v1/dnc", Perm: rbac.PermOAContactWrite, Action: "oa.dnc.add", Handler: a.dncAdd()},
		{Method: "POST", Pattern: "/api/v1/dnc/remove", Perm: rbac.PermOATicketSupervise, Action: "oa.dnc.remove", Handler: a.dncRemove()},
		{Method: "GET", Pattern: "/api/v1/knowledge/bases", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.base.list", Handler: f(a.kbBaseList)},
		{Method: "POST", Pattern: "/api/v1/knowledge/bases", Perm: rbac.PermOAKnowledgePublish, Action: "oa.knowledge.base.create", Handler: a.kbBasePut(true)},
		{Method: "PUT", Pattern: "/api/v1/knowledge/bases/{id}", Perm: rbac.PermOAKnowledgePublish, Action: "oa.knowledge.base.update", Handler: a.kbBasePut(false)},
		{Method: "GET", Pattern: "/api/v1/knowledge/bases/{id}/dirs", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.dir.list", Handler: f(a.kbDirList)},
		{Method: "POST", Pattern: "/api/v1/knowledge/bases/{id}/dirs", Perm: rbac.PermOAKnowledgeWrite, Action: "oa.knowledge.dir.create", Handler: f(a.kbDirCreate)},
		{Method: "GET", Pattern: "/api/v1/knowledge/articles", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.article.list", Handler: f(a.kbArticleList)},
		{Method: "POST", Pattern: "/api/v1/knowledge/articles", Perm: rbac.PermOAKnowledgeWrite, Action: "oa.knowledge.article.create", Handler: f(a.kbArticleCreate)},
		{Method: "GET", Pattern: "/api/v1/knowledge/articles/{id}", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.article.read", Handler: f(a.kbArticleGet)},
		{Method: "PUT", Pattern: "/api/v1/knowledge/articles/{id}", Perm: rbac.PermOAKnowledgeWrite, Action: "oa.knowledge.article.update", Handler: f(a.kbArticleUpdate)},
		{Method: "POST", Pattern: "/api/v1/knowledge/articles/{id}/submit", Perm: rbac.PermOAKnowledgeWrite, Action: "oa.knowledge.article.submit", Handler: f(a.kbSubmit)},
		{Method: "POST", Pattern: "/api/v1/knowledge/articles/{id}/review", Perm: rbac.PermOAKnowledgePublish, Action: "oa.knowledge.article.review", Handler: f(a.kbReview)},
		{Method: "POST", Pattern: "/api/v1/knowledge/articles/{id}/unpublish", Perm: rbac.PermOAKnowledgePublish, Action: "oa.knowledge.article.unpublish", Handler: f(a.kbUnpublish)},
		{Method: "GET", Pattern: "/api/v1/knowledge/articles/{id}/versions", Perm: rbac.PermOAKnowledgeWrite, Action: "oa.knowledge.article.versions", Handler: f(a.kbVersions)},
		{Method: "POST", Pattern: "/api/v1/knowledge/articles/{id}/vote", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.article.vote", Handler: f(a.kbVote)},
		{Method: "POST", Pattern: "/api/v1/knowledge/articles/{id}/attachments", Perm: rbac.PermOAKnowledgeWrite, Action: "oa.knowledge.attachment.add", Limit: attachmentLimit, Handler: f(a.kbAttachmentAdd)},
		{Method: "GET", Pattern: "/api/v1/knowledge/articles/{id}/attachments/{aid}", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.attachment.read", Handler: f(a.kbAttachmentGet)},
		{Method: "GET", Pattern: "/api/v1/knowledge/reviews", Perm: rbac.PermOAKnowledgePublish, Action: "oa.knowledge.review.list", Handler: f(a.kbReviewQueue)},
		{Method: "GET", Pattern: "/api/v1/knowledge/for-categories", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.for_categories", Handler: f(a.kbForCategories)},
		{Method: "GET", Pattern: "/api/v1/knowledge/search", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.search", Handler: f(a.kbSearch)},
		{Method: "GET", Pattern: "/api/v1/knowledge/suggest", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.suggest", Handler: f(a.kbSuggest)},
		{Method: "GET", Pattern: "/api/v1/knowledge/synonyms", Perm: rbac.PermOAKnowledgeRead, Action: "oa.knowledge.synonym.list", Handler: f(a.kbSynonymsGet)},
		{Method: "PUT", Pattern: "/api/v1/knowledge/synonyms", Perm: rbac.PermOAKnowledgePublish, Action: "oa.knowledge.synonym.put", Handler: f(a.kbSynonymsPut)},
		// The agent bar's, from the PBX's origin with a knowledge token (knowledge_bar.go): public to the guard, checked by the handlers.
		{Method: "POST", Pattern: "/api/v1/knowledge/bar/token", Public: true, Handler: f(a.kbBarToken)},
		{Method: "OPTIONS", Pattern: "/api/v1/knowledge/bar/token", Public: true, Handler: f(a.kbBarPreflight)},
		{Method: "GET", Pattern: "/api/v1/knowledge/bar/suggest", Public: true, Handler: f(a.kbBarSuggest)},
		{Method: "OPTIONS", Pattern: "/api/v1/knowledge/bar/suggest", Public: true, Handler: f(a.kbBarPreflight)},

		{Method: "GET", Pattern: "/api/v1/reports/traffic", Perm: rbac.PermOAReportRead, Action: "oa.report.traffic", Handler: a.reportGate(a.reportTraffic)},
		{Method: "GET", Pattern: "/api/v1/reports/tickets", Perm: rbac.PermOAReportRead, Action: "oa.report.tickets", Handler: a.reportGate(a.reportTickets)},
		{Method: "GET", Pattern: "/api/v1/reports/ticket-handling", Perm: rbac.PermOAReportRead, Action: "oa.report.ticket_handling", Handler: a.reportGate(a.reportTicketHandling)},
		{Method: "GET", Pattern: "/api/v1/reports/customers", Perm: rbac.PermOAReportRead, Action: "oa.report.customers", Handler: a.reportGate(a.reportCustomers)},
		{Method: "GET", Pattern: "/api/v1/reports/cdrs", Perm: rbac.PermOAReportRead, Action: "oa.report.cdrs", Reads: true, Handler: a.reportGate(a.reportCDRs)},
		{Method: "GET", Pattern: "/api/v1/reports/dashboard", Perm: rbac.PermOAReportRead, Action: "oa.report.dashboard", Handler: a.reportGate(a.reportDashboard)},
		{Method: "GET", Pattern: "/api/v1/reports/dashboard/charts", Perm: rbac.PermOAReportRead, Action: "oa.report.dashboard.read", Handler: a.reportGate(a.reportDashboardConfigGet)},
		{Method: "PUT", Pattern: "/api/v1/reports/dashboard/charts", Perm: rbac.PermConfigWrite, Action: "oa.report.dashboard.put", Handler: a.reportGate(a.reportDashboardConfigPut)},
		{Method: "GET", Pattern: "/api/v1/reports/formulas", Perm: rbac.PermOAReportRead, Action: "oa.report.formulas", Handler: a.reportGate(a.reportFormulas)},
		{Method: "POST", Pattern: "/api/v1/reports/reconcile", Perm: rbac.PermConfigWrite, Action: "oa.report.reconcile", Handler: a.reportGate(a.reportReconcile)},
		{Method: "GET", Pattern: "/api/v1/cti/status", Perm: rbac.PermConfigRead, Action: "oa.cti.status", Handler: f(a.ctiStatus)},
	}
}
