// watchThrottling notices when the browser slows this tab's timers (a
// background tab): a 1 s tick arriving over 3 s late while hidden. Rings and
// timers would then be late, so the bar warns the agent.
export function watchThrottling(onChange: (throttled: boolean) => void): () => void {
  let last = performance.now()
  let throttled = false
  const id = setInterval(() => {
    const now = performance.now()
    const late = now - last - 1000
    last = now
    const t = document.visibilityState === 'visible' ? false : late > 3000 || throttled
    if (t !== throttled) {
      throttled = t
      onChange(t)
    }
  }, 1000)
  return () => clearInterval(id)
}
