// Package webui owns serving a built single-page application embedded in a
// command (the agent bar and wallboard in the PBX, the OA's pages in the
// OA): its index for the page routes with the security headers, its
// content-hashed assets under /ui/, and the placeholder page that says how
// to build the UI when the Go build was made without Node.
package webui
