package recorder

import (
	"errors"
	"fmt"
	"github.com/yimen/yimen/internal/httpx"
	"io"
	"net/http"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

func (r *Recorder) handleSearch(w http.ResponseWriter, req *http.Request) {
	f, err := parseFilter(req.URL.Query())
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	list, err := r.Search(req.Context(), f)
	r.access(req.Context(), req, "recording.search", "", f.Tenant, err)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	out := make([]recordingJSON, 0, len(list))
	for _, rec := range list {
		out = append(out, toJSON(rec))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (r *Recorder) handleGet(w http.ResponseWriter, req *http.Request) {
	rec, err := r.Get(req.Context(), req.PathValue("id"))
	r.access(req.Context(), req, "recording.read", req.PathValue("id"), rec.Tenant, err)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toJSON(rec))
}

// handleAnnotate sets agent, queue, survey score or the transferred flag.
func (r *Recorder) handleAnnotate(w http.ResponseWriter, req *http.Request) {
	var a Annotation
	if err := decodeBody(w, req, &a); err != nil {
		r.writeErr(w, req, err)
		return
	}
	id := req.PathValue("id")
	err := r.Annotate(req.Context(), id, a)
	var rec Recording
	if err == nil {
		rec, err = r.index.get(req.Context(), id)
	}
	r.access(req.Context(), req, "recording.annotate", id, rec.Tenant, err)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toJSON(rec))
}

func (r *Recorder) handleDelete(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	rec, err := r.index.get(req.Context(), id)
	if err == nil {
		err = r.remove(req.Context(), rec)
	}
	r.access(req.Context(), req, "recording.delete", id, rec.Tenant, err)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAudio streams (…/audio, inline, for an <audio> element) or
// downloads (…/download, as an attachment) a finished recording, with
// Range support: http.ServeContent reads the plaintext at the offsets
// asked for, and a sealed file decrypts only the segments they cover.
// The Range header is checked and coalesced first (coalesceRanges): a
// header that would make many small reads is refused with 416 before any
// decryption.
func (r *Recorder) handleAudio(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	download := strings.HasSuffix(req.URL.Path, "/download")
	action := "recording.stream"
	if download {
		action = "recording.download"
	}
	rec, err := r.index.get(req.Context(), id)
	if err == nil && rec.State == StateRecording {
		err = fmt.Errorf("recorder: recording %s is still being written: %w", id, errs.ErrConflict)
	}
	var blob Blob
	if err == nil {
		blob, err = r.storage.Open(req.Context(), rec.Path)
	}
	if err == nil {
		defer blob.Close()
		if rg := req.Header.Get("Range"); rg != "" {
			var rs []byteRange
			if rs, err = coalesceRanges(rg, blob.Size()); err == nil {
				req.Header.Set("Range", rangeHeader(rs))
			}
		}
	}
	r.accessAudio(req.Context(), req, action, id, rec.Tenant, err)
	if errors.Is(err, errRange) {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", blob.Size()))
		httpx.WriteError(w, http.StatusRequestedRangeNotSatisfiable, "range not satisfiable")
		return
	}
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	if rec.SM3 != "" {
		h.Set("ETag", `"sm3-`+rec.SM3+`"`)
	}
	if download {
		h.Set("Content-Disposition", `attachment; filename="`+rec.ID+`.wav"`)
	}
	httpx.ClearReadDeadline(w) // a long recording on a slow link outlasts ReadTimeout
	http.ServeContent(w, req, "", rec.Ended, io.NewSectionReader(blob, 0, blob.Size()))
}

// handleControl starts, stops, pauses or resumes a live call's recording
// (the CTI bar's buttons).
func (r *Recorder) handleControl(w http.ResponseWriter, req *http.Request) {
	call, action := req.PathValue("call"), req.PathValue("action")
	var err error
	switch action {
	case "start":
		err = r.Start(req.Context(), call)
	case "stop":
		err = r.Stop(req.Context(), call)
	case "pause":
		err = r.Pause(req.Context(), call)
	case "resume":
		err = r.Resume(req.Context(), call)
	default:
		err = fmt.Errorf("recorder: action %q (want start, stop, pause or resume): %w", action, errs.ErrInvalid)
	}
	r.access(req.Context(), req, "recording."+action, call, r.callTenant(call), err)
	if err != nil {
		r.writeErr(w, req, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"call": call, "action": action})
}
