import { session } from './session'

// The knowledge base's shapes (oa/knowledge, docs/oa.md 知识库) and the
// pure helpers of its screens.

export interface KBase {
  id: number
  name: string
  description?: string
  departments: number[]
}

export interface KDir {
  id: number
  base_id: number
  parent_id?: number
  name: string
  children?: KDir[]
}

export interface KVersion {
  article_id: number
  version: number
  title: string
  body_html: string
  tags: string[]
  effective_at?: number
  expires_at?: number
  state: 'draft' | 'review' | 'published' | 'rejected' | 'superseded'
  editor: string
  reviewer?: string
  note?: string
  created_at: number
  reviewed_at?: number
}

export interface KAttachment {
  id: number
  article_id: number
  name: string
  mime: string
  size: number
  uploaded_by: string
  created_at: number
}

export interface KArticle {
  id: number
  base_id: number
  dir_id?: number
  category_id?: number
  title: string
  body_html: string
  tags: string[]
  published_version: number
  effective_at?: number
  expires_at?: number
  views: number
  helpful: number
  unhelpful: number
  heat: number
  author: string
  created_at: number
  updated_at: number
  published_at?: number
  pending?: KVersion
  attachments?: KAttachment[]
}

export interface ArticleInput {
  base_id: number
  dir_id?: number
  category_id?: number
  title: string
  body_html: string
  tags: string[]
  effective_at?: number
  expires_at?: number
  note?: string
}

// What the user may do with the knowledge base (GET /me's knowledge).
export interface KnowledgeRights {
  read: boolean
  write: boolean
  publish: boolean
}

export function rights(): KnowledgeRights {
  const k = (session.me as { knowledge?: Partial<KnowledgeRights> } | null)?.knowledge
  return { read: !!k?.read, write: !!k?.write, publish: !!k?.publish }
}

// flatDirs lists a directory tree depth first with each node's depth, for
// pickers; path names each directory by its ancestors ("设备/终端").
export function flatDirs(tree: KDir[], depth = 0, parent = ''): { dir: KDir; depth: number; path: string }[] {
  const out: { dir: KDir; depth: number; path: string }[] = []
  for (const d of tree) {
    const path = parent ? `${parent} / ${d.name}` : d.name
    out.push({ dir: d, depth, path })
    if (d.children?.length) out.push(...flatDirs(d.children, depth + 1, path))
  }
  return out
}

// parseTags splits what an editor typed into tags: commas (either width),
// 顿号 or semicolons separate; blanks and repeats drop.
export function parseTags(s: string): string[] {
  const out: string[] = []
  for (const part of s.split(/[,，、;；\n]/)) {
    const t = part.trim()
    if (t && !out.includes(t)) out.push(t)
  }
  return out
}

// parseSynonyms reads the synonym editor: one group a line, its words
// separated by spaces, commas, 顿号 or slashes; a line of fewer than two
// words is no group. A word in two groups is reported (the server takes
// each word in one group only).
export function parseSynonyms(text: string): { groups: string[][]; repeated: string[] } {
  const groups: string[][] = []
  const seen = new Set<string>()
  const repeated: string[] = []
  for (const line of text.split('\n')) {
    const words: string[] = []
    for (const w of line.split(/[\s,，、/／;；]+/)) {
      const t = w.trim()
      if (t && !words.includes(t)) words.push(t)
    }
    if (words.length < 2) continue
    for (const w of words) {
      if (seen.has(w) && !repeated.includes(w)) repeated.push(w)
      seen.add(w)
    }
    groups.push(words)
  }
  return { groups, repeated }
}

export const formatSynonyms = (groups: string[][]) => groups.map((g) => g.join(' / ')).join('\n')

// htmlText is the readable text of (sanitised) article HTML, a block a
// line: list items bulleted, a table row a line with its cells split by
// " | " (paragraphs inside items and cells, as the editor writes them,
// stay on their item's or cell's line).
export function htmlText(html: string): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html')
  const blocks = new Set(['P', 'DIV', 'LI', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'TR', 'BLOCKQUOTE', 'PRE', 'BR', 'UL', 'OL', 'TABLE'])
  const lines: string[] = []
  let cur = ''
  let bullet = false
  let inCell = 0
  const flush = () => {
    const s = cur.trim().replace(/(\s*\|)+$/, '').trim()
    if (s) {
      lines.push((bullet ? '• ' : '') + s)
      bullet = false
    }
    cur = ''
  }
  const walk = (n: Node) => {
    if (n.nodeType === Node.TEXT_NODE) {
      cur += n.textContent ?? ''
      return
    }
    if (n.nodeType !== Node.ELEMENT_NODE) return
    const tag = (n as Element).tagName
    const cell = tag === 'TD' || tag === 'TH'
    const breaks = blocks.has(tag) && (inCell === 0 || tag === 'TR')
    if (breaks) flush()
    if (tag === 'LI') bullet = true
    if (cell) inCell++
    for (const c of Array.from(n.childNodes)) walk(c)
    if (cell) {
      inCell--
      cur = cur.trimEnd() + ' | '
    } else if (blocks.has(tag) && inCell > 0) cur += ' '
    if (breaks) flush()
  }
  walk(doc.body)
  flush()
  return lines.join('\n')
}

export type DiffOp = { op: 'same' | 'add' | 'del'; text: string }

// diffLines compares two texts line by line (longest common subsequence):
// what a reviewer reads to see what a version changed. Texts past 2 000
// lines each are compared as wholes (a deletion and an insertion).
export function diffLines(before: string, after: string): DiffOp[] {
  const a = before ? before.split('\n') : []
  const b = after ? after.split('\n') : []
  if (a.length > 2000 || b.length > 2000) return [...a.map((text) => ({ op: 'del' as const, text })), ...b.map((text) => ({ op: 'add' as const, text }))]
  const n = a.length
  const m = b.length
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const out: DiffOp[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i] })
      i++
      j++
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: 'del', text: a[i++] })
    else out.push({ op: 'add', text: b[j++] })
  }
  while (i < n) out.push({ op: 'del', text: a[i++] })
  while (j < m) out.push({ op: 'add', text: b[j++] })
  return out
}

// liveState says where an article stands for a reader now: not yet
// published, waiting for its effective date, live, expired.
export function liveState(a: Pick<KArticle, 'published_version' | 'effective_at' | 'expires_at'>, now = Date.now()): 'unpublished' | 'pending' | 'live' | 'expired' {
  if (!a.published_version) return 'unpublished'
  if (a.effective_at && a.effective_at > now) return 'pending'
  if (a.expires_at && a.expires_at <= now) return 'expired'
  return 'live'
}
