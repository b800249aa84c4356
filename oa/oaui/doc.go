// Package oaui serves the OA's web UI: the Vue 3 + Element Plus application
// built from oa/web into oa/oaui/dist (`make ui`) and embedded with go:embed, or,
// when Node was absent at build time, a page saying how to build it. The
// pages hold no data: everything they show comes through the OA's API.
package oaui
