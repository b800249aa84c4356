// Package ivr owns yimen's IVR language: the lexer and parser of flow files
// (configs/ivr/*.ivr, one flow per file) into an AST, the static checker that
// runs before a flow may go live, the atomically swapped Registry of loaded
// flows, and the Interpreter that walks a flow against a Session. The Session
// interface is the media side's job (the PBX implements it); everything here
// is pure logic, so flows are tested with a scripted fake caller. The language
// is documented in docs/ivr.md.
package ivr
