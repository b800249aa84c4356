// Web storage that degrades to memory: a browser that blocks storage for a
// framed third-party page (the embedded widget) throws on any access, and
// the bar must still work (it then forgets on reload).

export interface KV {
  getItem(k: string): string | null
  setItem(k: string, v: string): void
  removeItem(k: string): void
}

function memory(): KV {
  const m = new Map<string, string>()
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  }
}

function open(get: () => Storage): KV {
  try {
    const s = get()
    s.getItem('yimen.probe')
    return s
  } catch {
    return memory()
  }
}

export const local: KV = open(() => window.localStorage)
export const session: KV = open(() => window.sessionStorage)
