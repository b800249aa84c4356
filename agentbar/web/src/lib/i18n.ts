import { local } from './storage'
import { ref } from 'vue'
import { messages, type Locale, type MessageKey } from './messages'

const saved = local.getItem('yimen.locale')

// The UI's language: zh-CN unless the user chose English.
export const locale = ref<Locale>(saved === 'en' ? 'en' : 'zh-CN')

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

// reasonLabel names a not-ready reason: a known code in the current
// language, else the code as the tenant configured it (often Chinese).
export function reasonLabel(r: string): string {
  const k = `reason.${r}` as MessageKey
  return messages[locale.value][k] ?? messages['zh-CN'][k] ?? r
}
