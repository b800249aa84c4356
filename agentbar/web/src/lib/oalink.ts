// withToken adds a one-login token to an OA link's hash route
// (BASE/#/customers/12?call=…&sso=…): the fragment never reaches a
// server's logs, and the OA's page exchanges and drops it (docs/oa.md).
export function withToken(url: string, token: string | null): string {
  if (!token) return url
  const hash = url.indexOf('#')
  if (hash < 0) return `${url}#/my?sso=${encodeURIComponent(token)}`
  return url + (url.slice(hash).includes('?') ? '&' : '?') + 'sso=' + encodeURIComponent(token)
}
