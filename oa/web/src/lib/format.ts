import { reactive } from 'vue'
import { ApiError } from './api'
import { locale, t } from './i18n'

// when shows a Unix-ms time in the page's time zone; 0 is blank.
export function when(ms?: number): string {
  if (!ms) return ''
  return new Date(ms).toLocaleString(locale.value === 'en' ? 'en-GB' : 'zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
}

// fieldErrors holds a form's per-field messages from a 400 reply, shown
// beside each field, and the form's own message.
export function fieldErrors() {
  const s = reactive({ fields: {} as Record<string, string>, message: '' })
  return Object.assign(s, {
    clear() {
      s.fields = {}
      s.message = ''
    },
    // take shows e; it says whether e was a problem of the input.
    take(e: unknown): boolean {
      if (e instanceof ApiError) {
        s.fields = { ...e.fields }
        s.message = Object.keys(e.fields).length ? t('err.invalid') : e.message
        return e.status === 400
      }
      s.fields = {}
      s.message = t('err.network')
      return false
    },
  })
}
