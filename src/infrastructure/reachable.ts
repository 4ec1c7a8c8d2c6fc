import net from 'node:net'

/**
 * Whether something answers at an http(s) address's host and port: a TCP connection opened within
 * `timeoutMs`, then closed (nothing is sent). For a link the site is about to send a person to (a
 * connected service's application): an address where nothing listens would leave them on the
 * browser's own error page.
 */
export function answers(address: string, timeoutMs = 1000): Promise<boolean> {
  let url: URL
  try {
    url = new URL(address)
  } catch {
    return Promise.resolve(false)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.resolve(false)
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
