// Package campaign is the OA's outbound side (外呼管理): call lists made by
// hand, imported from CSV or Excel row by row, or generated (the day's
// abandoned callers, tickets awaiting 回访, unanswered queue callbacks);
// preview and progressive dialling within calling hours on the business
// calendar; attempts with disposition codes, retry rules and a
// do-not-call list; and 回访 results that move their ticket on. It owns the
// oa_campaign* and oa_dnc tables and reaches the PBX only through a Dialer
// (the OA's CTI link) and the CTI events oa/ctilink hands it.
package campaign
