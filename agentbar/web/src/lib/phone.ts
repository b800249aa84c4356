// The browser as the agent's phone (WEBRTC contract, docs/cti.md): one
// RTCPeerConnection per shift, audio only (PCMA/PCMU), a non-trickle offer
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
}

export class Softphone {
  pc: RTCPeerConnection | null = null
  private mic: MediaStream | null = null
  private audio: HTMLAudioElement
  muted = false

  constructor(audio: HTMLAudioElement) {
    this.audio = audio
  }

  // open starts (or replaces) the media session. It resolves to 'desk' when
  // the PBX has no WebRTC (the agent keeps using the desk phone).
  async open(c: CtiClient): Promise<DeviceMode> {
    if (typeof RTCPeerConnection === 'undefined' || !navigator.mediaDevices) return 'desk'
    this.closePeer()
    if (!this.mic) this.mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } })
    const pc = new RTCPeerConnection({ iceServers: [] })
    this.pc = pc
    for (const tr of this.mic.getAudioTracks()) {
      tr.enabled = !this.muted
      pc.addTrack(tr, this.mic)
    }
    const tx = pc.getTransceivers()[0]
    const caps = typeof RTCRtpSender !== 'undefined' ? RTCRtpSender.getCapabilities?.('audio') : null
    if (tx && caps && tx.setCodecPreferences) {
      const g711 = caps.codecs.filter((c) => /PCM[AU]|telephone-event/i.test(c.mimeType))
      if (g711.length) tx.setCodecPreferences(g711)
    }
    pc.ontrack = (ev) => {
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
    const q: Quality = { lossPct: 0, jitterMs: 0, rttMs: 0, packetsIn: 0, packetsOut: 0 }
    const stats = await this.pc.getStats()
    stats.forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        const lost = s.packetsLost ?? 0
        q.packetsIn = s.packetsReceived ?? 0
        q.lossPct = q.packetsIn + lost > 0 ? (100 * lost) / (q.packetsIn + lost) : 0
        q.jitterMs = (s.jitter ?? 0) * 1000
      }
      if (s.type === 'outbound-rtp' && s.kind === 'audio') q.packetsOut = s.packetsSent ?? 0
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
  }
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
