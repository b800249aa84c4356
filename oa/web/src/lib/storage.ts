// Storage that may be missing (a locked-down browser, a test without a
// DOM): reads give null, writes are dropped.
const safe = (s: () => Storage): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> => ({
  getItem: (k) => {
    try {
      return s().getItem(k)
    } catch {
      return null
    }
  },
  setItem: (k, v) => {
    try {
      s().setItem(k, v)
    } catch {
      /* not kept */
    }
  },
  removeItem: (k) => {
    try {
      s().removeItem(k)
    } catch {
      /* nothing to remove */
    }
  },
})

export const local = safe(() => window.localStorage)
