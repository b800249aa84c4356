// withToken adds a one-login token to an OA link's hash route
// (BASE/#/customers/12?call=…&sso=…): the fragment never reaches a
// server's logs, and the OA's page exchanges and drops it (docs/oa.md).
export function withToken(url: string, token: string | null): string {
  if (!token) return url
  const hash = url.indexOf('#')
  if (hash < 0) return `${url}#/my?sso=${encodeURIComponent(token)}`
  return url + (url.slice(hash).includes('?') ? '&' : '?') + 'sso=' + encodeURIComponent(token)
}

// knowledgeLink is the OA's 知识检索 page for q, on the OA a screen pop's
// link leads to (the part of the link before its hash route).
export function knowledgeLink(popURL: string, q: string): string {
  const hash = popURL.indexOf('#')
  const base = hash < 0 ? popURL : popURL.slice(0, hash)
  return `${base}#/knowledge?q=${encodeURIComponent(q.trim())}`
}
