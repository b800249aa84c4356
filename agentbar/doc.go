// Package agentbar serves the browser UI of the contact centre: the agent
// bar (/agent/) and the live wallboard (/wallboard/), one single-page
// application built from web/ by `make ui` (Vite, Vue 3, TypeScript) into
// dist/ and embedded here with go:embed. The Go build does not need Node:
// without a build, dist/ holds only placeholder.html, which says how to
// build the UI. The pages are static; they log in through the admin API and
// speak to the PBX over the CTI websocket (docs/agentbar.md).
package agentbar
