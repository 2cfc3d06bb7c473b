// The web app and HTTP API on Fastify. Who is asking is settled once per request: a Bearer API
// token, or the signed session cookie (whose changes also need the session's CSRF token).
// /api/* answers JSON; everything else is a page. /docs serves the OpenAPI document.
import { z } from 'zod';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { User } from '../auth/users';
import { HttpError, type WebDeps } from './actions';
import { registerApi } from './api';
import { registerPages } from './pages';
import { esc, layout, html } from './html';

export const SESSION_COOKIE = 'lantian_session';

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
    sessionId?: string;
    /** Why there is no user (shown on the login page, returned by the API). */
    authRefusal?: string;
    viaToken?: boolean;
  }
}

const publicPaths = [/^\/login$/, /^\/docs(\/|$)/, /^\/healthz$/];

export async function buildServer(d: WebDeps, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  // Path parameters are workflow IDs and notice keys (ID + schedule entry): longer than the
  // router's default limit of 100 characters, which answers 414.
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    routerOptions: { maxParamLength: 1000 },
  });
  await app.register(cookie);
  await app.register(formbody);
  await app.register(multipart);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Lantian (蓝天) API',
        version: '0.1.0',
        description:
          'Obligations of air-pollution campaigns; every change goes through the obligation workflow’s Updates.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    hideUntagged: true,
  });

  app.decorateRequest('user', undefined);
  app.decorateRequest('sessionId', undefined);
  app.decorateRequest('authRefusal', undefined);
  app.decorateRequest('viaToken', undefined);

  app.addHook('onRequest', async (req, reply) => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      const u = d.users.byToken(auth.slice(7).trim());
      if (u) {
        req.user = u;
        req.viaToken = true;
      } else req.authRefusal = 'API token invalid or user disabled';
    } else {
      const s = d.users.session(req.cookies[SESSION_COOKIE]);
      if ('user' in s) {
        req.user = s.user;
        req.sessionId = s.sessionId;
      } else if (req.cookies[SESSION_COOKIE]) req.authRefusal = s.refused;
    }
    const path = req.url.split('?')[0];
    if (req.user || publicPaths.some((p) => p.test(path))) return;
    if (path.startsWith('/api/'))
      return reply
        .code(401)
        .send({ error: 'unauthorized', message: req.authRefusal ?? 'log in or send Authorization: Bearer <token>' });
    return reply.redirect(`/login${req.authRefusal ? `?reason=${encodeURIComponent(req.authRefusal)}` : ''}`, 303);
  });

  // A change made with a session cookie must carry the session's CSRF token (form field or
  // header); multipart uploads check the token themselves, field by field.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.viaToken || !req.sessionId) return;
    if (req.isMultipart()) return;
    const token = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.headers['x-csrf-token'];
    if (!d.users.checkCsrf(req.sessionId, token)) return refuse(req, reply, 403, 'CSRF token missing or invalid');
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) return refuse(req, reply, err.status, err.message);
    const e = err as { validation?: unknown; statusCode?: number; message: string; code?: string };
    if (e.validation) return refuse(req, reply, 400, e.message);
    // A body that passed the JSON schema but not the zod rules behind it (a date that does not exist).
    if (err instanceof z.ZodError)
      return refuse(
        req,
        reply,
        400,
        `body ${err.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`,
      );
    if (e.code === 'FST_REQ_FILE_TOO_LARGE')
      return refuse(req, reply, 413, `evidence refused: file is larger than the limit`);
    if (e.statusCode && e.statusCode < 500) return refuse(req, reply, e.statusCode, e.message);
    req.log.error(err);
    return refuse(req, reply, 500, `internal error: ${e.message}`);
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  // The OpenAPI document, and a readable page of it (no browser bundle to serve).
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(app.swagger() as OpenApi)),
  );
  registerApi(app, d);
  registerPages(app, d);
  return app;
}

export function refuse(req: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  const name =
    {
      400: 'bad request',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not found',
      409: 'refused',
      413: 'too large',
      415: 'unsupported media type',
      422: 'refused',
    }[status] ?? 'error';
  if (req.url.startsWith('/api/')) return reply.code(status).send({ error: name, message });
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(
      layout(
        status === 404 ? '未找到' : status === 403 ? '无权操作' : '操作未完成',
        req.user,
        html`<p class="err">${message}</p><p><a href="javascript:history.back()">返回</a></p>`,
        req.sessionId ? undefined : undefined,
      ),
    );
}

interface OpenApi {
  info: { title: string; description?: string };
  paths: Record<
    string,
    Record<string, { summary?: string; requestBody?: unknown; parameters?: { name: string; in: string }[] }>
  >;
}

function docsPage(doc: OpenApi): string {
  const rows = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(
      ([method, op]) =>
        html`<tr><td><b>${method.toUpperCase()}</b></td><td><code>${p}</code></td><td>${op.summary ?? ''}${op.parameters?.length ? html`<br><span class="muted">${op.parameters.map((x) => `${x.name} (${x.in})`).join(', ')}</span>` : ''}</td></tr>`,
    ),
  );
  return layout(
    doc.info.title,
    undefined,
    html`<p>${doc.info.description ?? ''}</p><p>OpenAPI 3 document: <a href="/docs/json">/docs/json</a>. Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> (from <code>npm run lantian -- user add</code>).</p>
    <table><thead><tr><th>method</th><th>path</th><th>what</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

export { esc };
