// The web app and HTTP API on Fastify. Who is asking is settled once per request: a Bearer API
// token, or the signed session cookie (whose changes also need the session's CSRF token).
// /api/* answers JSON; everything else is a page. /docs serves the OpenAPI document.
// Around every answer: security headers (a CSP allowing the app's own script and style only,
// no framing, no referrer), no caching of anything but /static/, timeouts on slow senders, 405
// for a method a path does not have, and errors that say what a person can do without showing
// the app's insides (the cause goes to the log with the request id the answer names).
import crypto from 'node:crypto';
import { z } from 'zod';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { Env } from '../config/env';
import type { User } from '../auth/users';
import { HttpError, httpRefusal, genericCode, type WebDeps } from './actions';
import { message } from '../i18n/messages';
import { databaseUnavailable } from '../db/pool';
import { megabytes } from './upload';
import { registerApi, registerApiUploads } from './api';
import { problemService, registerProblemApi, registerProblemUploads } from './problems-api';
import { registerProblemPages, registerProblemPageUploads } from './problems-pages';
import { registerPages, registerPageUploads } from './pages';
import { registerLetters } from './letters';
import { esc, layout, html } from './html';
import { assets } from './assets';

export const SESSION_COOKIE = 'lantian_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, with its organisation's name (for the header). */
    user?: User & { orgName?: string };
    sessionId?: string;
    /** Why there is no user, as a catalogue code (its message is shown on the login page, returned by the API). */
    authRefusal?: AuthRefusal;
    viaToken?: boolean;
    /** The session's CSRF token, for the forms of whatever page answers (an error page's logout too). */
    csrfToken?: string;
  }
  interface FastifyContextConfig {
    /** The route reads a multipart body and checks its CSRF token itself (field `_csrf` or header). */
    csrfInBody?: boolean;
  }
}

const publicPaths = [/^\/login$/, /^\/docs(\/|$)/, /^\/healthz$/, /^\/static\//];
/** What an inspection team (检查组) may reach: its problems and the pages every user has; the rest is refused by default. */
const teamPaths = [...publicPaths, /^\/$/, /^\/logout$/, /^\/api\/me$/, /^\/problems(\/|$)/, /^\/api\/problems(\/|$)/];

/** What the web server takes from configuration (config/env.ts); defaults are the same as there. */
export interface ServerOptions {
  /** false: no log; otherwise pino's level and, for tests, where the lines go (stdout by default). */
  logger?: false | { level: string; stream?: NodeJS.WritableStream };
  trustProxy?: boolean | number | string;
  /** POST /login per address per minute. */
  loginRatePerMinute?: number;
  timeouts?: { requestMs: number; headersMs: number; idleMs: number; keepAliveMs: number };
}

export function serverOptions(env: Env): ServerOptions {
  return {
    logger: { level: env.LANTIAN_LOG_LEVEL },
    trustProxy: env.LANTIAN_TRUST_PROXY,
    loginRatePerMinute: env.LANTIAN_LOGIN_RATE_PER_MINUTE,
    timeouts: {
      requestMs: env.LANTIAN_HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      headersMs: env.LANTIAN_HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      idleMs: env.LANTIAN_HTTP_IDLE_TIMEOUT_SECONDS * 1000,
      keepAliveMs: env.LANTIAN_HTTP_KEEP_ALIVE_SECONDS * 1000,
    },
  };
}

const defaultTimeouts = { requestMs: 120_000, headersMs: 20_000, idleMs: 60_000, keepAliveMs: 5_000 };

export async function buildServer(d: WebDeps, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const t = opts.timeouts ?? defaultTimeouts;
  const headersMs = Math.min(t.headersMs, t.requestMs);
  const proxies = opts.trustProxy;
  // Path parameters are workflow IDs and notice keys (ID + schedule entry): longer than the
  // router's default limit of 100 characters, which answers 414.
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1024 * 1024,
    // A hop count is a function to Fastify's types (proxy-addr takes either).
    trustProxy: typeof proxies === 'number' ? (_addr: string, hop: number) => hop < proxies : (proxies ?? false),
    routerOptions: { maxParamLength: 1000 },
    // A body is what the document says, no more: "2026" is no number and an unknown property is
    // refused, not silently dropped (query strings are checked as text, see web/api.ts).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    genReqId: () => crypto.randomBytes(6).toString('hex'),
    // A request must arrive whole within requestTimeout (a body trickled a byte at a time
    // included) and its headers within headersTimeout; a connection silent for connectionTimeout
    // is closed. Node checks the first two every connectionsCheckingInterval.
    requestTimeout: t.requestMs,
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
    http: {
      headersTimeout: headersMs,
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersMs / 4))),
    },
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        // Evidence previews: the app's own file route, in a frame (PDF) or an image.
        frameSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Only a browser that reached the app over HTTPS heeds it; a deployment over plain HTTP
    // must not be told to upgrade.
    strictTransportSecurity: d.cookieSecure ? { maxAge: 15552000, includeSubDomains: false } : false,
  });
  // Every method of every path, for 405 (collected before any route is added).
  const routes: { re: RegExp; methods: Set<string> }[] = [];
  const listed: { url: string; methods: string[] }[] = [];
  routeLists.set(app, listed);
  app.addHook('onRoute', (r) => {
    const re = new RegExp(
      `^${r.url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}$`,
    );
    const methods = [r.method].flat();
    listed.push({ url: r.url, methods });
    const known = routes.find((x) => x.re.source === re.source);
    if (known) methods.forEach((m) => known.methods.add(m));
    else routes.push({ re, methods: new Set(methods) });
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.is404) return;
    const path = req.url.split('?')[0];
    const allowed = new Set(routes.filter((r) => r.re.test(path)).flatMap((r) => [...r.methods]));
    if (!allowed.size) return;
    if (allowed.has('GET')) allowed.add('HEAD');
    reply.header('allow', [...allowed].sort().join(', '));
    const refusal = httpRefusal(405, 'method_not_allowed', {
      method: req.method,
      path,
      allowed: [...allowed].sort().join(', '),
    });
    return refuse(req, reply, 405, refusal.message, refusal.code);
  });

  // Private answers are kept by no cache (a shared computer's back button, a proxy).
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith('/static/')) reply.header('cache-control', 'no-store');
    return payload;
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => httpRefusal(429, 'too_many_requests', { seconds: Math.ceil(ctx.ttl / 1000) }),
  });
  await app.register(cookie);
  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Lantian (蓝天) API',
        version: '1.1.0',
        description:
          'Obligations of air-pollution campaigns; every change goes through the obligation workflow’s Updates. ' +
          'Every refusal is JSON `{ "error": <stable snake_case English code>, "message": <what to do, in Chinese> }` (`details` when there is more to read, `requestId` on a 500 or 503); the codes are listed in i18n/messages.ts and docs/web-and-api.md. A method a path does not list answers 405 with `Allow`.',
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
  app.decorateRequest('csrfToken', undefined);

  const named = (u: User): User & { orgName?: string } => {
    // A team's org is its id in problems.yaml: the header shows its Chinese name.
    const orgName =
      u.role === 'team'
        ? problemService(d).teamName(u.org!)
        : u.org
          ? d.policies.organisations.get(u.org)?.name
          : undefined;
    return orgName ? { ...u, orgName } : u;
  };
  app.addHook('onRequest', async (req, reply) => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      const u = await d.users.byToken(auth.slice(7).trim());
      if (u) {
        req.user = named(u);
        req.viaToken = true;
      } else req.authRefusal = 'token_invalid';
    } else {
      const s = await d.users.session(req.cookies[SESSION_COOKIE]);
      if ('user' in s) {
        req.user = named(s.user);
        req.sessionId = s.sessionId;
        req.csrfToken = d.users.csrfToken(s.sessionId);
      } else if (req.cookies[SESSION_COOKIE]) req.authRefusal = sessionRefusals[s.refused] ?? 'session_unknown';
    }
    const path = req.url.split('?')[0];
    // A body no route but the uploads parses (multipart) carries its CSRF token in the header:
    // checked here, before the body is read, so that it is checked on every route.
    if (
      req.sessionId &&
      !['GET', 'HEAD'].includes(req.method) &&
      !req.routeOptions.config?.csrfInBody &&
      /^multipart\//i.test(req.headers['content-type'] ?? '') &&
      !d.users.checkCsrf(req.sessionId, req.headers['x-csrf-token'])
    )
      return refuse(req, reply, 403, message('csrf_invalid', {}), 'csrf_invalid');
    if (req.user?.role === 'team' && !teamPaths.some((p) => p.test(path))) {
      const r = httpRefusal(403, 'forbidden_role', { role: 'team', action: 'read obligations' });
      return refuse(req, reply, r.status, r.message, r.code);
    }
    if (req.user || publicPaths.some((p) => p.test(path))) return;
    const why = req.authRefusal ?? 'unauthorized';
    if (path.startsWith('/api/')) return reply.code(401).send({ error: why, message: message(why, {}) });
    return reply.redirect(
      `/login${req.authRefusal ? `?reason=${encodeURIComponent(message(req.authRefusal, {}))}` : ''}`,
      303,
    );
  });

  // A change made with a session cookie must carry the session's CSRF token (form field or
  // header), whatever the body's type. Only the upload routes read a multipart body, and they
  // check the token themselves (a field before the file, or the header); every other route
  // refuses multipart as a type it does not take (415), before its handler runs.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.viaToken || !req.sessionId) return;
    if (req.routeOptions.config.csrfInBody) return;
    const body = req.body;
    const field = body && typeof body === 'object' ? (body as Record<string, unknown>)._csrf : undefined;
    const token = field ?? req.headers['x-csrf-token'];
    if (!d.users.checkCsrf(req.sessionId, token))
      return refuse(req, reply, 403, message('csrf_invalid', {}), 'csrf_invalid');
  });

  app.setErrorHandler((err, req, reply) => {
    const r = clientError(err, req, d.maxUploadBytes);
    if (r) return refuse(req, reply, r.status, r.message, r.code, r.details);
    // A database restarting (or down) is "not now", like Temporal out of reach: the pool
    // reconnects on the next request.
    if (databaseUnavailable(err)) {
      req.log.warn({ err }, 'answered 503: the database is unavailable');
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return refuse(req, reply, 503, message('unavailable_database', {}), 'unavailable');
    }
    const temporal = temporalTrouble(err);
    if (temporal) {
      req.log.warn({ err }, `answered 503: ${temporal}`);
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return refuse(req, reply, 503, message(unavailableMessage[temporal], {}), 'unavailable');
    }
    req.log.error({ err }, 'request failed');
    return refuse(req, reply, 500, message('internal_error', { requestId: req.id }), 'internal_error');
  });

  // An unknown address: a page (HTML) for a browser, JSON under /api/.
  app.setNotFoundHandler((req, reply) => {
    const r = req.url.startsWith('/api/')
      ? httpRefusal(404, 'route_not_found', { method: req.method, path: req.url.split('?')[0] })
      : httpRefusal(404, 'page_not_found', {});
    return refuse(req, reply, 404, r.message, r.code);
  });
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/static/:file', { schema: { hide: true } }, async (req, reply) => {
    const a = assets[(req.params as { file: string }).file];
    if (!a) throw httpRefusal(404, 'file_not_found', {});
    return reply.type(a.type).header('cache-control', 'public, max-age=3600').send(a.body);
  });
  // The OpenAPI document, and a readable page of it (no browser bundle to serve).
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(app.swagger() as OpenApi)),
  );
  registerApi(app, d);
  registerProblemApi(app, d);
  registerProblemPages(app, d);
  registerPages(app, d, { loginRatePerMinute: opts.loginRatePerMinute ?? 30 });
  registerLetters(app, d);
  // Multipart bodies are parsed only here: anywhere else they are a type the route does not take.
  await app.register(async (uploads) => {
    await uploads.register(multipart);
    registerApiUploads(uploads, d);
    registerProblemUploads(uploads, d);
    registerProblemPageUploads(uploads, d);
    registerPageUploads(uploads, d);
  });
  return app;
}

const routeLists = new WeakMap<FastifyInstance, { url: string; methods: string[] }[]>();

/** Every route the server registered, with its methods (tests walk every page from it). */
export const registeredRoutes = (app: FastifyInstance): { url: string; methods: string[] }[] =>
  routeLists.get(app) ?? [];

/** Seconds a client is asked to wait when Temporal or the worker is busy. */
export const RETRY_AFTER_SECONDS = 5;

const unavailableMessage = { busy: 'unavailable_busy', unreachable: 'unavailable_unreachable' } as const;

/** The session store's reasons for not knowing a cookie, as catalogue codes. */
const sessionRefusals: Record<string, AuthRefusal> = {
  'not logged in': 'unauthorized',
  'session cookie signature is invalid': 'session_invalid',
  'session unknown or logged out': 'session_unknown',
  'session expired': 'session_expired',
  'user disabled': 'user_disabled',
};
type AuthRefusal =
  'unauthorized' | 'token_invalid' | 'session_invalid' | 'session_unknown' | 'session_expired' | 'user_disabled';

/**
 * A refusal of what the client sent (status below 500), with its code and Chinese message:
 * ours (HttpError), Fastify's schema validation (naming the field), zod's rules behind the
 * schema, and Fastify's own (a type not taken, a body too large, JSON that does not parse).
 */
export function clientError(err: unknown, req: FastifyRequest, maxUploadBytes: number): HttpError | undefined {
  if (err instanceof HttpError) return err;
  const e = err as {
    validation?: { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string }[];
    validationContext?: string;
    statusCode?: number;
    message: string;
    code?: string;
  };
  if (e.validation) {
    const v = e.validation[0] ?? {};
    const at = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const within = (name: unknown) => [at, String(name ?? '')].filter(Boolean).join('.');
    if (v.keyword === 'additionalProperties')
      return httpRefusal(400, 'unknown_field', { field: within(v.params?.additionalProperty) });
    if (v.keyword === 'required')
      return httpRefusal(400, 'missing_field', { field: within(v.params?.missingProperty) });
    return httpRefusal(400, 'invalid_field', { field: at || e.validationContext || 'body', detail: e.message });
  }
  // A body that passed the JSON schema but not the zod rules behind it (a date that does not exist).
  if (err instanceof z.ZodError) {
    const i = err.issues[0];
    return httpRefusal(400, 'invalid_field', {
      field: i?.path.join('.') || 'body',
      detail: err.issues.map((x) => `${x.path.join('.') || 'value'} ${x.message}`).join('; '),
    });
  }
  if (e.code === 'FST_REQ_FILE_TOO_LARGE')
    return httpRefusal(413, 'evidence_too_large', { limit: megabytes(maxUploadBytes), bytes: maxUploadBytes });
  if (!e.statusCode || e.statusCode >= 500) return undefined;
  if (e.statusCode === 415)
    return httpRefusal(415, 'unsupported_media_type', { type: String(req.headers['content-type'] ?? '') });
  if (e.statusCode === 413) return httpRefusal(413, 'body_too_large', {});
  if (e.statusCode === 400) return httpRefusal(400, 'bad_request', { detail: e.message });
  return new HttpError(e.statusCode, message('bad_request', { detail: e.message }));
}

/**
 * Temporal's failures that say "not now" rather than "no": the worker did not answer in time (a
 * launch still starting hundreds of obligations), or the server cannot be reached. Judged from
 * the error and its causes, as client/explain.ts reads them for the CLI.
 */
export function temporalTrouble(err: unknown): 'busy' | 'unreachable' | undefined {
  const said: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { name?: string; message?: string; code?: number };
    said.push(`${x.name ?? ''} ${x.message ?? String(e)}`);
    if (x.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return 'busy';
    if (x.code === 4 || x.code === 8) return 'busy'; // gRPC DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
    if (x.code === 14) return 'unreachable'; // gRPC UNAVAILABLE
  }
  const all = said.join(': ');
  if (/DEADLINE_EXCEEDED|deadline exceeded|timed? ?out|Timeout or cancellation/i.test(all)) return 'busy';
  if (/UNAVAILABLE|ECONNREFUSED|No connection established/i.test(all)) return 'unreachable';
  // Temporal's own database restarting, as its server words it (an INTERNAL error naming the cause).
  if (/connection refused|bad connection|broken pipe|connection reset|database system is|SQLSTATE (08|57P)/i.test(all))
    return 'unreachable';
  return undefined;
}

/**
 * The refusal as the client reads it: JSON `{ error: code, message }` under /api/, an HTML page
 * elsewhere. `code` is a stable snake_case name (i18n/messages.ts); without one, the status's.
 */
export function refuse(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  code: string = genericCode(status),
  details?: string[],
) {
  if (req.url.startsWith('/api/'))
    return reply.code(status).send({
      error: code,
      message,
      ...(details?.length ? { details } : {}),
      ...(status >= 500 ? { requestId: req.id } : {}),
    });
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(
      layout(
        status === 404 ? '未找到' : status === 403 ? '无权操作' : status >= 500 ? '暂时无法完成' : '操作未完成',
        req.user,
        html`<p class="err">${message}</p>${details?.length ? html`<pre><code>${details.join('\n')}</code></pre>` : ''}<p><a href="/" data-action="back">返回</a></p>`,
        req.csrfToken,
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
