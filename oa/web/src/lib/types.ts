// The OA API's shapes (oa package, docs/oa.md).

export interface SLAView {
  step?: string
  started_at?: number
  due_at?: number
  warn_at?: number
  paused: boolean
  remaining_ms?: number
  state?: string
}

export interface Ticket {
  id: number
  title: string
  description: string
  category_id: number
  priority: string
  state: string
  open: boolean
  customer_id?: number
  contact_id?: number
  call_id?: string
  caller?: string
  outlet_no?: string
  device?: string
  fault?: string
  department_id?: number
  assignee?: string
  creator: string
  supervised: boolean
  extension_pending: boolean
  satisfaction?: number
  sla: SLAView
  created_at: number
  updated_at: number
  closed_at?: number
  merged_into?: number
}

export interface TicketEvent {
  id: number
  action: string
  from: string
  to: string
  actor: string
  comment?: string
  detail?: Record<string, unknown>
  at: number
}

export interface Attachment {
  id: number
  ticket_id: number
  name: string
  mime: string
  size: number
  uploaded_by: string
  created_at: number
}

export interface TicketDetail extends Ticket {
  events: TicketEvent[]
  attachments: Attachment[]
  related?: number[]
  actions: string[]
}

export interface Phone {
  id?: number
  number?: string
  masked: string
  label?: string
}

export interface Customer {
  id: number
  name: string
  type: string
  vip: boolean
  tags: string[]
  fields: Record<string, string>
  phones: Phone[]
  id_no?: string
  id_no_masked?: string
  created_at: number
  updated_at: number
}

export interface Followup {
  id: number
  customer_id: number
  author: string
  note: string
  due_at?: number
  created_at: number
}

export interface Contact {
  id: number
  call_id: string
  direction: string
  kind: string
  customer_id?: number
  caller: string
  callee?: string
  agent?: string
  queue?: string
  vars?: Record<string, string>
  started_at: number
  answered_at?: number
  ended_at?: number
  wait_s: number
  talk_s: number
  recording_id?: string
  disposition_code?: string
  notes?: string
  ticket_id?: number
}

export interface Category {
  id: number
  parent_id?: number
  name: string
  workflow: { skip_sign?: boolean; skip_visit?: boolean }
  children?: Category[]
}

export interface Department {
  id: number
  parent_id?: number
  name: string
  children?: Department[]
}

export interface Staff {
  user_id: string
  name: string
  display_name?: string
  department_id?: number
  agent?: string
}

export interface Me {
  user_id: string
  tenant: string
  name: string
  method: string
  staff: Staff
  supervisor: boolean
  pii: boolean
}

export interface MyCounts {
  mine: number
  department: number
  created: number
  watched: number
  overdue: number
}

export interface Notification {
  id: number
  ticket_id?: number
  kind: string
  text: string
  read: boolean
  at: number
}

export interface SavedQuery {
  id: number
  name: string
  target: 'tickets' | 'contacts' | 'customers'
  query: string
}

// flatten lists a tree depth first with each node's depth, for a select.
export function flatten<T extends { children?: T[] }>(tree: T[], depth = 0): { node: T; depth: number }[] {
  return tree.flatMap((n) => [{ node: n, depth }, ...flatten(n.children ?? [], depth + 1)])
}
