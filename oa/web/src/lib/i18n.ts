import { ref } from 'vue'
import { local } from './storage'
import { messages, type Locale, type MessageKey } from './messages'

// The UI's language: zh-CN unless the user chose English.
export const locale = ref<Locale>(local.getItem('yimen.locale') === 'en' ? 'en' : 'zh-CN')

export function setLocale(l: Locale) {
  locale.value = l
  local.setItem('yimen.locale', l)
  document.documentElement.lang = l
}

// t looks a key up in the current language; {name} placeholders are filled
// from vars. A key missing in English falls back to Chinese.
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  let s: string = messages[locale.value][key] ?? messages['zh-CN'][key] ?? key
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v))
  return s
}

// tx looks up a key built at run time (a state, an action); an unknown one
// is shown as it came.
export function tx(prefix: string, v: string): string {
  const k = `${prefix}.${v}` as MessageKey
  return messages[locale.value][k] ?? messages['zh-CN'][k] ?? v
}
