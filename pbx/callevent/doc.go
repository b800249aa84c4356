// Package callevent owns the values the B2BUA reports about calls — a call
// answered, held or resumed, transferred, ended with its CDR — and the small
// interfaces their listeners implement. It imports nothing of the project,
// so the CTI hub, the recorder and the contact centre can listen to calls
// without compiling against the B2BUA, the media relay or the store.
// Listeners that need the call's audio get a Media to attach a tap to; the
// rest see values only. Wire formats (CTI, HTTP) are built from these values
// by their own packages.
package callevent
