// The admin console's live summary: polls /admin/console/summary (console cookie) every 5 s.
const fields = {
  revocations: document.getElementById('summary-revocations'),
  total: document.getElementById('summary-total'),
  staleness: document.getElementById('summary-staleness'),
  store: document.getElementById('summary-store'),
}

async function update() {
  const response = await fetch('/admin/console/summary', { credentials: 'same-origin' })
  if (!response.ok) return false
  const summary = await response.json()
  fields.revocations.textContent = String(summary.revocationsPerMinute)
  fields.total.textContent = String(summary.revocationsTotal)
  fields.staleness.textContent =
    summary.replicaStalenessSeconds === null
      ? 'no replica (this store has no change feed)'
      : `${summary.replicaStalenessSeconds.toFixed(2)} s`
  fields.store.textContent = `${summary.store === 'ok' ? 'answering' : 'failing'} (${summary.storeErrors} failed of ${summary.storeCalls} calls)`
  return true
}

if (fields.revocations !== null) {
  const timer = setInterval(() => {
    update().then(
      (ok) => ok || clearInterval(timer),
      () => undefined,
    )
  }, 5000)
}
