/// <reference path="../../types/swagger-ui-dist.d.ts" />
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProtocolError } from '@pager/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import secureJsonParse from 'secure-json-parse';
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';
import type { DatabaseMonitor } from '../database/database-monitor';
import type { JsonLogger } from '../logging/json-logger';
import { ApiExceptionFilter } from './api-exception.filter';
import {
  CloseMode,
  closeConnectionsGracefully,
  isLingering,
  lingeringClose,
  noteRequest,
} from './connection-close';

export interface BodyLimits {
  /** Limit for any path not listed below (bytes). */
  default: number;
  /** Larger or smaller limits by path suffix, e.g. `{ '/gossip': 4 MiB }`. */
  bySuffix?: Record<string, number>;
}

export interface HttpAppOptions {
  logger: JsonLogger;
  bodyLimits: BodyLimits;
  title: string;
  /** Told about database outages answered 503 (logs and metrics); optional in unit tests. */
  database?: DatabaseMonitor;
  /**
   * Time a client has to send the whole request, headers and body (ms); later: `408` and the
   * connection is closed. Default REQUEST_TIMEOUT_MS. Checked every `timeoutCheckMs`.
   */
  requestTimeoutMs?: number;
  /** Time a client has to send the request headers (ms); default HEADERS_TIMEOUT_MS. */
  headersTimeoutMs?: number;
  /** How often open connections are checked against both timeouts (ms); default 1,000. */
  timeoutCheckMs?: number;
}

/**
 * Every request must arrive whole within 30 s, its headers within 10 s: a peer that opens a
 * connection and then sends nothing, or trickles its body a byte at a time (slowloris), is
 * answered `408` and cut off instead of holding a connection and a parser for ever
 * (docs/security.md). A 4 MiB gossip envelope needs 140 KB/s to make it.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 10_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A NestJS application on fastify (≈3× express's throughput for validated JSON routes,
 * see docs/adr), with one JSON parser for every content type, per-path body limits,
 * and every error rendered as `{ error, message }`.
 */
export async function createHttpApp(
  module: Type<unknown> | ReturnType<typeof Object>,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const limits = options.bodyLimits;
  const maxLimit = Math.max(limits.default, ...Object.values(limits.bySuffix ?? {}));
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const adapter = new FastifyAdapter({
    bodyLimit: maxLimit,
    requestTimeout,
    // Passed to http.createServer: Node enforces both timeouts on its connection check.
    http: {
      requestTimeout,
      headersTimeout: Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout),
      connectionsCheckingInterval: options.timeoutCheckMs ?? 1_000,
    },
    logger: false,
    trustProxy: false,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    // Errors fastify raises before any route runs get the one error shape as well.
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  });
  const instance = adapter.getInstance();
  // An answer sent before the body arrived whole (413, bad JSON) must reach the client.
  closeConnectionsGracefully(instance.server);
  answerExpectContinue(instance.server, limits);
  // A declared length over the route's limit is refused before any of the body is read.
  instance.addHook('onRequest', (request, reply, done) => {
    const limit = declaredOverLimit(request.headers['content-length'], request.url, limits);
    if (limit === undefined) {
      done();
      return;
    }
    void reply.header('connection', 'close');
    done(new ProtocolError('payload_too_large', `body over ${limit} bytes`));
  });
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: maxLimit },
    (
      request: FastifyRequest,
      body: Buffer | string,
      done: (err: Error | null, value?: unknown) => void,
    ) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      if (bytes.length > limitFor(request.url, limits)) {
        done(
          new ProtocolError(
            'payload_too_large',
            `body over ${limitFor(request.url, limits)} bytes`,
          ),
        );
        return;
      }
      // Internal calls such as `POST /api/v1/announce` carry no body, yet some clients
      // still send a JSON content type; on the public protocol an empty body is bad JSON.
      if (bytes.length === 0 && request.url.startsWith('/api/')) {
        done(null, undefined);
        return;
      }
      let parsed: unknown;
      try {
        parsed = parseJson(bytes);
      } catch (err) {
        done(err as Error);
        return;
      }
      done(null, parsed);
    },
  );
  const app = await NestFactory.create<NestFastifyApplication>(module as Type<unknown>, adapter, {
    logger: options.logger,
    bodyParser: false,
    abortOnError: false,
  });
  app.useGlobalFilters(new ApiExceptionFilter(options.logger, options.database));
  mountOpenApi(app, options.title);
  return app;
}

/**
 * Fastify's `frameworkErrors` hook: a URL with a malformed escape (`/api/v1/blocklist/%ZZ`,
 * FST_ERR_BAD_URL) or a failed route constraint gets `400 validation_failed` with the
 * `{ error, message }` body instead of fastify's default one.
 */
export function frameworkError(
  error: { code?: string; message?: string },
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const message =
    error.code === 'FST_ERR_BAD_URL'
      ? 'the path is not a valid URL (malformed percent-escape)'
      : 'the request cannot be routed';
  void reply.code(400).send({ error: 'validation_failed', message });
}

/** The raw answer to a request that is not valid HTTP or did not arrive in time. */
export interface ClientErrorAnswer {
  /** e.g. `400 Bad Request`. */
  statusLine: string;
  body: { error: 'validation_failed'; message: string };
  /**
   * `linger`: the client may still be sending (bad header, oversized header block): read and
   * discard its input for a while so that it can read the answer; `close`: a client too
   * slow to send its request (408) is cut off once the answer is flushed.
   */
  close: CloseMode;
}

/**
 * What a request Node's HTTP parser refused is answered, by the error's code. Pure.
 * HPE_HEADER_OVERFLOW → 431, ERR_HTTP_REQUEST_TIMEOUT / ERR_HTTP_HEADERS_TIMEOUT → 408,
 * anything else → 400; all with the `{ error, message }` shape.
 */
export function clientErrorAnswer(code: string | undefined): ClientErrorAnswer {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      statusLine: '431 Request Header Fields Too Large',
      body: { error: 'validation_failed', message: 'request headers are too large' },
      close: 'linger',
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    return {
      statusLine: '408 Request Timeout',
      body: { error: 'validation_failed', message: 'the request did not arrive in time' },
      close: 'close',
    };
  }
  return {
    statusLine: '400 Bad Request',
    body: { error: 'validation_failed', message: 'the request is not valid HTTP' },
    close: 'linger',
  };
}

/**
 * Fastify's `clientErrorHandler`: a request that is not valid HTTP (bad header, oversized
 * header block) or too slow is answered with the error shape (clientErrorAnswer), then the
 * connection is closed: in stages when the client may still be sending (lingeringClose), so
 * that the answer is not lost to a reset. A connection reset by the client, one already
 * closing, or one whose answer has begun gets nothing more (there is nobody to answer, or
 * writing would corrupt the answer under way).
 */
export function clientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (isLingering(socket)) return; // the parser refuses each further chunk; they are discarded
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const answer = clientErrorAnswer(error.code);
  const body = JSON.stringify(answer.body);
  socket.write(
    `HTTP/1.1 ${answer.statusLine}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  if (answer.close === 'linger') lingeringClose(socket);
  else socket.end(() => socket.destroy());
}

/** Parses a body as strict UTF-8 JSON; prototype-poisoning keys are refused outright. */
export function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) throw new ProtocolError('invalid_json', 'body is empty');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ProtocolError('invalid_json', 'body is not valid UTF-8');
  }
  try {
    return secureJsonParse.parse(text, undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
  } catch (err) {
    throw new ProtocolError('invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The route's body limit (bytes) when the declared `Content-Length` is over it, else
 * undefined (no or a malformed header: the body is counted as it arrives). Pure.
 */
export function declaredOverLimit(
  contentLength: string | string[] | undefined,
  url: string,
  limits: BodyLimits,
): number | undefined {
  if (typeof contentLength !== 'string' || !/^\d+$/.test(contentLength)) return undefined;
  const limit = limitFor(url, limits);
  return Number(contentLength) > limit ? limit : undefined;
}

/**
 * `Expect: 100-continue`: a client that declares a body over the route's limit is answered
 * `413` at once, without `100 Continue`, so that it never sends the body (RFC 9110 §10.1.1);
 * any other request gets `100 Continue` and goes on as usual.
 */
function answerExpectContinue(server: Server, limits: BodyLimits): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const limit = declaredOverLimit(request.headers['content-length'], request.url ?? '/', limits);
    if (limit === undefined) {
      response.writeContinue();
      server.emit('request', request, response);
      return;
    }
    noteRequest(request); // its body never comes: the connection lingers, then closes
    const body = JSON.stringify({
      error: 'payload_too_large',
      message: `body over ${limit} bytes`,
    });
    response.writeHead(413, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    response.end(body);
  });
}

/** The body limit of a request path (bytes): the first matching suffix, else the default. */
export function limitFor(url: string, limits: BodyLimits): number {
  const path = url.split('?')[0].replace(/\/+$/, '');
  for (const [suffix, limit] of Object.entries(limits.bySuffix ?? {})) {
    if (path.endsWith(suffix)) return limit;
  }
  return limits.default;
}

/**
 * The OpenAPI 3 document of a service's routes, as `GET /docs` serves it and as
 * `npm run docs:api` renders it into docs/api.md.
 */
export function createOpenApiDocument(app: INestApplication, title: string): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(title)
      .setDescription(
        'Internal API (/api/v1) and public protocol endpoints; see docs/api.md and docs/protocol.md',
      )
      .setVersion('1.0')
      .addBearerAuth()
      .build(),
  );
}

/** Swagger UI files served from the installed swagger-ui-dist (no CDN: works offline). */
export const SWAGGER_UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** The Swagger UI page: local assets only, its start script a file (no inline script). */
export function swaggerUiHtml(title: string): string {
  const t = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${t} · API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/swagger-initializer.js"></script>
</body></html>
`;
}

const SWAGGER_INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/docs/json',
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    validatorUrl: null,
  });
});
`;

/**
 * `GET /docs`: Swagger UI for a browser (Accept: text/html), the OpenAPI document for any
 * other client (scripts that read `/docs` as JSON keep working); `GET /docs/json`: the
 * document. The UI's assets come from swagger-ui-dist on disk, under a CSP of 'self' only.
 */
function mountOpenApi(app: INestApplication, title: string): void {
  let document: unknown;
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  const documentOf = () =>
    // Built lazily: the routes are known only once the application is initialised.
    (document ??= createOpenApiDocument(app, title));
  const csp =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";
  fastify.get('/docs', async (request, reply) => {
    if (!String(request.headers.accept ?? '').includes('text/html')) {
      reply.header('content-type', 'application/json').send(documentOf());
      return;
    }
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .send(swaggerUiHtml(title));
  });
  fastify.get('/docs/json', async (_request, reply) => {
    reply.header('content-type', 'application/json').send(documentOf());
  });
  fastify.get('/docs/swagger-initializer.js', async (_request, reply) => {
    reply.header('content-type', 'application/javascript; charset=utf-8').send(SWAGGER_INITIALIZER);
  });
  const assets = getAbsoluteFSPath();
  const cache = new Map<string, Buffer>();
  for (const [file, type] of Object.entries(SWAGGER_UI_ASSETS)) {
    fastify.get(`/docs/${file}`, async (_request, reply) => {
      let body = cache.get(file);
      if (body === undefined) {
        body = await readFile(join(assets, file));
        cache.set(file, body);
      }
      reply
        .header('content-type', type)
        .header('cache-control', 'public, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .send(body);
    });
  }
}
