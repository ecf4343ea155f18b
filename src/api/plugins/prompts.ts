/** Routes: prompts (part of the route table; see src/api/README.md). */
import { rm } from 'node:fs/promises'
import { ApiError, forbidden } from '../errors.js'
import type { Ctx, Scope } from '../router.js'
import * as S from '../schemas.js'
import { convertPrompt } from '../prompts.js'
import type { Route } from '../router.js'
import { Q_TENANT, V1, apply, findPrompt, listResult, need, queryTenant } from './common.js'

export function promptsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  const promptScope = async (ctx: Ctx): Promise<Scope> => {
    const p = need(await findPrompt(ctx.store, ctx.params.promptId), 'prompt', ctx.params.promptId)
    return { tenantId: p.tenantId }
  }
  add({
    id: 'prompts.list',
    method: 'GET',
    path: `${V1}/prompts`,
    tag: 'prompts',
    access: 'any',
    query: [Q_TENANT],
    summary: 'Prompts replaced by the tenant',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      return listResult(await ctx.store.prompts.list(queryTenant(ctx)))
    },
  })
  add({
    id: 'prompts.upload',
    method: 'POST',
    path: `${V1}/prompts/upload`,
    tag: 'prompts',
    access: 'admin',
    scope: async (ctx) => {
      const tenantId = (ctx.query.tenant as string | undefined) ?? ctx.account.tenantId ?? 'default'
      need(await ctx.store.tenants.find(tenantId), 'tenant', tenantId)
      const queueId = ctx.query.queue as string | undefined
      if (queueId) {
        const q = await ctx.store.queues.find(queueId)
        if (!q || q.tenantId !== tenantId) throw new ApiError(404, 'NOT_FOUND', `queue '${queueId}' not found`, 'queue')
      }
      return { tenantId }
    },
    query: [
      {
        name: 'name',
        schema: S.PROMPT_NAME,
        required: true,
        description: 'which prompt: welcome, queue-first, queue-periodic, closed, …',
      },
      { name: 'language', schema: S.LANGUAGE, required: true },
      Q_TENANT,
      { name: 'queue', schema: S.ID, description: 'only for this queue (default: every queue of the tenant)' },
    ],
    raw: { contentTypes: ['audio/*', 'application/octet-stream', 'multipart/form-data'], maxBytes: 50 * 1024 * 1024 },
    summary:
      'Upload an audio file (any format sox reads) as a prompt; converted to 8 kHz mono 16-bit WAV and loudness-normalised',
    description:
      'A bad or empty file is refused with 400 and the current prompt stays. When sox is not installed the answer is 500 SOX_MISSING.',
    handler: async (ctx) => {
      const tenantId = (ctx.query.tenant as string | undefined) ?? ctx.account.tenantId ?? 'default'
      const queueId = (ctx.query.queue as string | undefined) ?? null
      const name = ctx.query.name as string
      const language = ctx.query.language as string
      const path = await convertPrompt(ctx.raw ?? { path: '', size: 0 }, {
        soxPath: ctx.server.soxPath,
        dir: ctx.server.promptDir,
        baseName: `${tenantId}-${queueId ?? 'all'}-${language}-${name}`,
        contentType: ctx.raw?.contentType ?? ctx.req.headers['content-type'],
      })
      const { prompt, replacedPath } = await apply(ctx, 'upload', 'prompt', null, (s) =>
        s.prompts.put({ tenantId, queueId, language: language as 'sv' | 'en', name, path }),
      )
      if (replacedPath && replacedPath !== path) await rm(replacedPath, { force: true })
      return { status: 201, body: prompt }
    },
  })
  add({
    id: 'prompts.audio',
    method: 'GET',
    path: `${V1}/prompts/:promptId/audio`,
    tag: 'prompts',
    access: 'admin',
    scope: promptScope,
    summary: 'The prompt as WAV (to play it in the browser)',
    response: { status: 200, description: 'audio/wav', contentTypes: ['audio/wav'] },
    handler: async (ctx) => {
      const { readFile } = await import('node:fs/promises')
      const p = (await findPrompt(ctx.store, ctx.params.promptId))!
      return { text: { contentType: 'audio/wav', data: await readFile(p.path) } }
    },
  })
  add({
    id: 'prompts.remove',
    method: 'DELETE',
    path: `${V1}/prompts/:promptId`,
    tag: 'prompts',
    access: 'admin',
    scope: promptScope,
    summary: 'Go back to the default prompt',
    handler: async (ctx) => {
      const path = await apply(ctx, 'remove', 'prompt', ctx.params.promptId, (s) =>
        s.prompts.remove(ctx.params.promptId),
      )
      await rm(path, { force: true })
      return { status: 204 }
    },
  })
  return routes
}
