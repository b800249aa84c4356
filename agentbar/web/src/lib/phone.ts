// The browser as the agent's phone (WEBRTC contract, docs/cti.md): one
// RTCPeerConnection per shift, audio (PCMA/PCMU) and, when the agent turns
// video on, VP8 video (shown when the other end of a call is a browser
// agent with video too), a non-trickle offer
// sent with webrtc.open once ICE gathering completes (or after 2 s), kept
// across calls. After a reconnect the bar sends webrtc.open again, which
// replaces the session and re-bridges a call in progress.

import type { CtiClient } from './cti'
import { CtiError } from './cti'

export type DeviceMode = 'browser' | 'desk' | 'connecting'

export interface Quality {
  lossPct: number
  jitterMs: number
  rttMs: number
  packetsIn: number
  packetsOut: number
  // Video, 0 without: frames the browser decoded from the other end, and sent.
  framesIn: number
  framesOut: number
}

export class Softphone {
  pc: RTCPeerConnection | null = null
  private mic: MediaStream | null = null
  private audio: HTMLAudioElement
  private videoEl: HTMLVideoElement | null
  muted = false
  // video: the next open sends the camera and asks for the other end's video.
  video = false
  // onVideo is told whether the other end's video is playing.
  onVideo: (playing: boolean) => void = () => {}

  constructor(audio: HTMLAudioElement, video?: HTMLVideoElement | null) {
    this.audio = audio
    this.videoEl = video ?? null
  }

  // open starts (or replaces) the media session. It resolves to 'desk' when
  // the PBX has no WebRTC (the agent keeps using the desk phone).
  async open(c: CtiClient): Promise<DeviceMode> {
    if (typeof RTCPeerConnection === 'undefined' || !navigator.mediaDevices) return 'desk'
    this.closePeer()
    const withVideo = this.video && !!this.videoEl
    if (this.mic && withVideo !== this.mic.getVideoTracks().length > 0) {
      for (const tr of this.mic.getTracks()) tr.stop()
      this.mic = null
    }
    if (!this.mic)
      this.mic = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
        video: withVideo ? { width: 640, height: 360, frameRate: 15 } : false,
      })
    const pc = new RTCPeerConnection({ iceServers: [] })
    this.pc = pc
    for (const tr of this.mic.getAudioTracks()) {
      tr.enabled = !this.muted
      pc.addTrack(tr, this.mic)
    }
    prefer(pc.getTransceivers()[0], 'audio', /PCM[AU]|telephone-event/i)
    for (const tr of this.mic.getVideoTracks()) prefer(pc.addTransceiver(tr, { direction: 'sendrecv' }), 'video', /VP8/i)
    this.onVideo(false)
    pc.ontrack = (ev) => {
      if (ev.track.kind === 'video') {
        if (!this.videoEl) return
        this.videoEl.srcObject = new MediaStream([ev.track])
        ev.track.onunmute = () => this.onVideo(true)
        ev.track.onmute = () => this.onVideo(false)
        void this.videoEl.play().catch(() => {})
        return
      }
      this.audio.srcObject = ev.streams[0] ?? new MediaStream([ev.track])
      void this.audio.play().catch(() => {})
    }
    await pc.setLocalDescription(await pc.createOffer())
    await gathered(pc, 2000)
    try {
      const ans = await c.cmd<{ sdp: string }>('webrtc.open', { sdp: pc.localDescription!.sdp })
      await pc.setRemoteDescription({ type: 'answer', sdp: ans.sdp })
      return 'browser'
    } catch (e) {
      this.closePeer()
      if (e instanceof CtiError && (e.code === 'unknown_type' || e.code === 'unavailable')) return 'desk'
      throw e
    }
  }

  setMuted(m: boolean) {
    this.muted = m
    for (const tr of this.mic?.getAudioTracks() ?? []) tr.enabled = !m
  }

  // quality reads getStats(): inbound loss and jitter, the candidate pair's RTT.
  async quality(): Promise<Quality | null> {
    if (!this.pc) return null
    const q: Quality = { lossPct: 0, jitterMs: 0, rttMs: 0, packetsIn: 0, packetsOut: 0, framesIn: 0, framesOut: 0 }
    const stats = await this.pc.getStats()
    stats.forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        const lost = s.packetsLost ?? 0
        q.packetsIn = s.packetsReceived ?? 0
        q.lossPct = q.packetsIn + lost > 0 ? (100 * lost) / (q.packetsIn + lost) : 0
        q.jitterMs = (s.jitter ?? 0) * 1000
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio') q.packetsOut = s.packetsSent ?? 0
      if (s.type === 'inbound-rtp' && s.kind === 'video') q.framesIn = s.framesDecoded ?? 0
      if (s.type === 'outbound-rtp' && s.kind === 'video') q.framesOut = s.framesEncoded ?? 0
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) q.rttMs = s.currentRoundTripTime * 1000
    })
    return q
  }

  private closePeer() {
    this.pc?.close()
    this.pc = null
  }

  close(c?: CtiClient) {
    if (this.pc && c) void c.cmd('webrtc.close', {}).catch(() => {})
    this.closePeer()
    for (const tr of this.mic?.getTracks() ?? []) tr.stop()
    this.mic = null
    this.onVideo(false)
  }
}

// prefer limits a transceiver to the codecs the PBX forwards untouched.
function prefer(tx: RTCRtpTransceiver | undefined, kind: 'audio' | 'video', want: RegExp) {
  const caps = typeof RTCRtpSender !== 'undefined' ? RTCRtpSender.getCapabilities?.(kind) : null
  if (!tx || !caps || !tx.setCodecPreferences) return
  const codecs = caps.codecs.filter((c) => want.test(c.mimeType))
  if (codecs.length) tx.setCodecPreferences(codecs)
}

// gathered resolves when ICE gathering completes or after ms.
function gathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t)
        resolve()
      }
    })
  })
}
