// The agent bar's keyboard shortcuts: Alt plus one key, so typing in a
// field never triggers them; F1 or ? (outside fields) shows the list.

import type { MessageKey } from './messages'

export type Action = 'answer' | 'hold' | 'mute' | 'ready' | 'notReady' | 'transfer' | 'keypad' | 'dial' | 'survey' | 'help'

export const shortcuts: { action: Action; key: string; code: string; label: MessageKey }[] = [
  { action: 'answer', key: 'Alt+A', code: 'KeyA', label: 'keys.answer' },
  { action: 'hold', key: 'Alt+H', code: 'KeyH', label: 'keys.hold' },
  { action: 'mute', key: 'Alt+M', code: 'KeyM', label: 'keys.mute' },
  { action: 'ready', key: 'Alt+R', code: 'KeyR', label: 'keys.ready' },
  { action: 'notReady', key: 'Alt+N', code: 'KeyN', label: 'keys.notReady' },
  { action: 'transfer', key: 'Alt+T', code: 'KeyT', label: 'keys.transfer' },
  { action: 'keypad', key: 'Alt+K', code: 'KeyK', label: 'keys.keypad' },
  { action: 'dial', key: 'Alt+D', code: 'KeyD', label: 'keys.dial' },
  { action: 'survey', key: 'Alt+S', code: 'KeyS', label: 'keys.survey' },
  { action: 'help', key: 'F1', code: 'F1', label: 'keys.help' },
]

// actionFor maps a key press to its action, or null.
export function actionFor(e: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'code' | 'key'>, inField: boolean): Action | null {
  if (e.code === 'F1' || (e.key === '?' && !inField && !e.altKey)) return 'help'
  if (!e.altKey || e.ctrlKey || e.metaKey) return null
  return shortcuts.find((s) => s.code === e.code && s.action !== 'help')?.action ?? null
}
