// Package report is the OA's statistics (统计报表): it records the CTI's
// call, agent-state, survey, transfer and overflow events into a per-call
// table and 15-minute interval fact tables per queue and agent, folds the
// OA's ticket events into interval facts per category, department and
// channel, reconciles the calls with the PBX's CDR API so a restart
// leaves no hole, and computes the reports (客服话务统计, 工单统计,
// 工单处理统计, 客户统计, 明细) with the formula each one states.
package report
