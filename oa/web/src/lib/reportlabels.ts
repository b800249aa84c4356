// The report columns' names in English. The report API labels its columns
// in Chinese (the labels its CSV and Excel exports carry); in English the
// pages show these instead, and a column this list lacks keeps its label.
const en: Record<string, string> = {
  queue: 'Queue',
  agent: 'Agent',
  time: 'Time',
  key: '',
  offered: 'Offered',
  answered: 'Answered',
  abandoned: 'Abandoned',
  short_abandoned: 'Short abandons',
  overflowed: 'Overflowed',
  answered_in_sl: 'Answered in SL',
  service_level: 'Service level',
  answer_rate: 'Answer rate',
  abandon_rate: 'Abandon rate',
  asa_s: 'ASA (s)',
  longest_wait_s: 'Longest wait (s)',
  handled: 'Handled',
  outbound: 'Outbound',
  talk_s: 'Talk (s)',
  hold_s: 'Hold (s)',
  acw_s: 'ACW (s)',
  aht_s: 'AHT (s)',
  logged_in_s: 'Logged in (s)',
  not_ready_s: 'Not ready (s)',
  occupancy: 'Occupancy',
  created: 'Created',
  resolved: 'Resolved',
  archived: 'Archived',
  count: 'Tickets',
  dispatched: 'Dispatched',
  signed: 'Signed',
  sign_on_time_rate: 'Signed on time',
  resolve_on_time_rate: 'Resolved on time',
  returned: 'Returned',
  return_rate: 'Return rate',
  reopened: 'Reopened',
  reopen_rate: 'Reopen rate',
  visited: 'Return visits',
  satisfaction: 'Satisfaction',
  satisfied_rate: 'Satisfied rate',
  added: 'Added',
  callers: 'Callers',
  call_id: 'Call',
  start: 'Start',
  direction: 'Direction',
  caller: 'Caller',
  callee: 'Callee',
  outcome: 'Outcome',
  wait_s: 'Wait (s)',
  ring_s: 'Ring (s)',
  disposition: 'Disposition',
  hangup_side: 'Hung up by',
  hangup_cause: 'Hangup cause',
  transfer_path: 'Transfers',
  survey_score: 'Survey',
  recording_url: 'Recording',
  source: 'Source',
}

// columnLabel is a column's heading in locale; a not-ready reason's
// column (not_ready:REASON) names its reason.
export function columnLabel(key: string, label: string, locale: string): string {
  if (locale !== 'en') return label
  if (key.startsWith('not_ready:')) return `Not ready: ${key.slice('not_ready:'.length)} (s)`
  return en[key] || label
}

// headWidth is a column's width for its heading on one line: Chinese
// characters are about twice as wide as Latin ones.
export function headWidth(heading: string, least = 72): number {
  let w = 24
  for (const ch of heading) w += ch.charCodeAt(0) > 0x2e80 ? 13 : 8
  return Math.max(least, Math.ceil(w))
}
