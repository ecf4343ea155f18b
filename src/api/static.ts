/**
 * The web pages the daemon serves beside its API: `/` (login), `/admin` (web admin, D1), `/agent` (agent page,
 * A1/A2), `/wallboard` (live wallboard), the static files of web/static under `/static/` and the compiled browser
 * modules of dist/web under `/js/`.
 *
 * The pages are plain files; every page checks the session itself through GET /api/v1/auth/me and sends the
 * browser back to `/` when nobody is logged in, so nothing here needs the store.
 *
 * Mount with `mountWeb(apiServer.server)`: the API server's own request listener keeps every other path
 * (/api/…, /metrics), the web handler answers only the paths above.
 */
import { createReadStream, existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

interface WebOptions {
  /** HTML, CSS and images (default <repo>/web/static). */
  staticDir?: string
  /** Compiled browser modules (default <repo>/dist/web). */
  scriptDir?: string
}

/** A request handler: resolves true when it answered the request, false to let the next handler have it. */
type WebHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/** Page paths → the HTML file in staticDir. */
export const WEB_PAGES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/admin': 'admin.html',
  '/agent': 'agent.html',
  '/wallboard': 'wallboard.html',
}

/**
 * Security headers of every page and file: scripts, styles and connections only from this origin (no inline
 * script), no framing, no MIME sniffing. `media-src blob:` lets the admin play prompts fetched with the session.
 */
const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
}

/** The repository root: the nearest directory upwards holding package.json (works from src/ and dist/src/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir
    dir = dirname(dir)
  }
  return process.cwd()
}

/** Resolve `rel` inside `base`; undefined when it would leave it (../, absolute, NUL). */
function inside(base: string, rel: string): string | undefined {
  if (rel.includes('\0')) return undefined
  const full = resolve(base, '.' + sep + rel)
  return full === base || full.startsWith(base + sep) ? full : undefined
}

/** Build the handler for the web pages and their files. */
function webHandler(opts: WebOptions = {}): WebHandler {
  const root = repoRoot()
  const staticDir = resolve(opts.staticDir ?? join(root, 'web', 'static'))
  const scriptDir = resolve(opts.scriptDir ?? join(root, 'dist', 'web'))

  async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cache: string): Promise<boolean> {
    let st
    try {
      st = await stat(file)
    } catch {
      return false
    }
    if (!st.isFile()) return false
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': cache,
      'last-modified': st.mtime.toUTCString(),
      ...WEB_SECURITY_HEADERS,
    })
    if (req.method === 'HEAD') {
      res.end()
      return true
    }
    await new Promise<void>((done) => {
      const s = createReadStream(file)
      s.on('error', () => {
        res.destroy()
        done()
      })
      s.on('end', done)
      s.pipe(res)
    })
    return true
  }

  return async (req, res) => {
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'HEAD') return false
    let path: string
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
    } catch {
      return false
    }
    const page = WEB_PAGES[path.length > 1 ? path.replace(/\/$/, '') : path]
    // pages are revalidated on every load so a new release is picked up at once
    if (page) return sendFile(req, res, join(staticDir, page), 'no-cache')
    if (path === '/favicon.ico' || path === '/favicon.svg')
      return sendFile(req, res, join(staticDir, 'favicon.svg'), 'public, max-age=3600')
    if (path.startsWith('/static/')) {
      const file = inside(staticDir, path.slice('/static/'.length))
      return file ? sendFile(req, res, file, 'no-cache') : false
    }
    if (path.startsWith('/js/')) {
      const file = inside(scriptDir, path.slice('/js/'.length))
      return file ? sendFile(req, res, file, 'no-cache') : false
    }
    return false
  }
}

/**
 * Put the web handler in front of a node:http server's existing request listeners (the API server's): the web
 * paths are answered here, everything else goes to the listeners that were there before.
 */
export function mountWeb(server: Server, opts: WebOptions = {}): void {
  const handler = webHandler(opts)
  const previous = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[]
  server.removeAllListeners('request')
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).then(
      (handled) => {
        if (!handled) for (const l of previous) l.call(server, req, res)
      },
      () => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          res.end('internal error')
        } else res.destroy()
      },
    )
  })
}
