// What each ticket action asks for in its form (oa/workflow.go decides
// what is allowed; GET /api/v1/tickets/{id} lists it as "actions").
export interface ActionForm {
  department?: boolean // dispatch, transfer: to a department, perhaps a handler
  comment: 'required' | 'optional'
  reason?: boolean // the comment is the reason (退单)
  extra?: boolean // 延期: business time asked for
  satisfaction?: boolean // 回访: 1–5
}

export const actionForms: Record<string, ActionForm> = {
  dispatch: { department: true, comment: 'optional' },
  sign: { comment: 'optional' },
  handle: { comment: 'optional' },
  resolve: { comment: 'required' },
  visit: { comment: 'optional', satisfaction: true },
  archive: { comment: 'optional' },
  transfer: { department: true, comment: 'required' },
  return: { comment: 'required', reason: true },
  extend: { comment: 'required', extra: true },
  extend_approve: { comment: 'optional' },
  extend_reject: { comment: 'required' },
  supervise: { comment: 'required' },
  reopen: { comment: 'required' },
  comment: { comment: 'required' },
}

// The order the buttons stand in: the main path first.
export const actionOrder = ['dispatch', 'sign', 'handle', 'resolve', 'visit', 'archive', 'transfer', 'return', 'extend', 'extend_approve', 'extend_reject', 'supervise', 'reopen', 'comment']

export function ordered(actions: string[]): string[] {
  return actionOrder.filter((a) => actions.includes(a))
}
