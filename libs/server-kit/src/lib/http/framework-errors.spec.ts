import { Body, Controller, Get, Module, Param, Post, Put } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ProtocolError } from '@pager/protocol';
import { connect } from 'node:net';
import { createHttpApp } from './create-http-app';
import { JsonLogger } from '../logging/json-logger';

/** Throws what the route's name says, as a TypeORM/pg call would. */
function databaseFailure(kind: string): Error {
  switch (kind) {
    case 'down':
      return Object.assign(new Error('terminating connection due to administrator command'), {
        driverError: { code: '57P01' },
      });
    case 'pool':
      return new Error('timeout exceeded when trying to connect');
    case 'refused':
      return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
      });
    case 'timeout':
      return Object.assign(new Error('canceling statement due to statement timeout'), {
        code: '57014',
      });
    case 'nul':
      return Object.assign(new Error('unsupported Unicode escape sequence'), {
        driverError: { code: '22P05' },
      });
    default:
      return new Error('a bug with a secret=hunter2');
  }
}

@Controller('api/v1/blocklist')
class ProbeController {
  @Get(':id') get(@Param('id') id: string) {
    return { id };
  }
  @Put(':id') put(@Param('id') id: string, @Body() body: unknown) {
    return { id, body };
  }
  @Post() post(@Body() body: unknown) {
    return { body };
  }
}

@Controller('federation/messages')
class FailingController {
  @Post(':kind') async fail(@Param('kind') kind: string): Promise<never> {
    throw databaseFailure(kind);
  }
  @Get('daemon') daemon(): never {
    throw new ProtocolError('service_unavailable', 'discovery is unavailable, retry later');
  }
}

@Module({ controllers: [ProbeController, FailingController] })
class ProbeModule {}

describe('errors raised by the framework and by dependencies', () => {
  let app: NestFastifyApplication;
  const logged: string[] = [];

  beforeAll(async () => {
    app = await createHttpApp(ProbeModule, {
      logger: new JsonLogger('test', 'info', (line) => logged.push(line)),
      bodyLimits: { default: 100 },
      title: 'test',
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  async function request(method: string, url: string, payload?: string, type?: string) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      payload,
      headers: type ? { 'content-type': type } : {},
    });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  }

  it.each([
    ['GET', '/api/v1/blocklist/%ZZ', 400, 'validation_failed'],
    ['GET', '/api/v1/blocklist/%E0%A4%A', 400, 'validation_failed'],
    ['PUT', '/api/v1/blocklist/a%', 400, 'validation_failed'],
    ['GET', '/nowhere', 404, 'not_found'],
    ['DELETE', '/api/v1/blocklist/x', 404, 'not_found'],
    ['PROPFIND', '/api/v1/blocklist', 404, 'not_found'],
    ['GET', '/api/v1/blocklist/' + 'a'.repeat(200), 404, 'not_found'],
  ])('%s %s → %i %s with the error shape', async (method, url, status, code) => {
    const res = await request(method, url);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: code, message: expect.any(String) });
  });

  it.each([
    ['bad JSON', '{bad', 'application/json', 400, 'invalid_json'],
    ['not UTF-8', '\u00ff', 'application/json', 400, 'invalid_json'],
    ['prototype poisoning', '{"__proto__":{"a":1}}', 'application/json', 400, 'invalid_json'],
    [
      'a body over the limit',
      JSON.stringify('x'.repeat(200)),
      'application/json',
      413,
      'payload_too_large',
    ],
    [
      'an odd content type, bad JSON',
      'a=b',
      'application/x-www-form-urlencoded',
      400,
      'invalid_json',
    ],
    ['a malformed content type, bad JSON', 'a', 'bad type///', 400, 'invalid_json'],
  ])('a body with %s → %i %s', async (_what, payload, type, status, code) => {
    const res = await request('POST', '/api/v1/blocklist', payload, type);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: code, message: expect.any(String) });
  });

  it.each(['down', 'pool', 'refused', 'timeout'])(
    'a database that is %s → 503 service_unavailable with Retry-After',
    async (kind) => {
      const res = await request('POST', `/federation/messages/${kind}`, '{}', 'application/json');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: 'service_unavailable', message: expect.any(String) });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    },
  );

  it('a 503 thrown by a service without a Retry-After still gets one', async () => {
    const res = await request('GET', '/federation/messages/daemon');
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('text PostgreSQL refuses (U+0000) → 400 validation_failed, not 500', async () => {
    const res = await request('POST', '/federation/messages/nul', '{}', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
  });

  it('a real bug is still a 500 without details, logged with its stack', async () => {
    logged.length = 0;
    const res = await request('POST', '/federation/messages/bug', '{}', 'application/json');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'internal_error', message: 'internal error' });
    expect(logged.some((l) => l.includes('http.internal_error'))).toBe(true);
  });

  it('a request that is not valid HTTP gets 400 with the error shape', async () => {
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(address.port, '127.0.0.1', () => {
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'validation_failed',
      message: expect.any(String),
    });
  });
});

describe('clients that send slowly (slowloris)', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    app = await createHttpApp(ProbeModule, {
      logger: new JsonLogger('test', 'info', () => undefined),
      bodyLimits: { default: 1_000 },
      title: 'test',
      requestTimeoutMs: 600,
      headersTimeoutMs: 300,
      timeoutCheckMs: 100,
    });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(() => app.close());

  /** Writes `start`, then `drip` every 100 ms; answers what came back and when it closed. */
  function slowClient(start: string, drip?: string) {
    const began = Date.now();
    return new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
      let text = '';
      let timer: NodeJS.Timeout | undefined;
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(start);
        if (drip) timer = setInterval(() => socket.writable && socket.write(drip), 100);
      });
      const guard = setTimeout(() => socket.destroy(new Error('never cut off')), 10_000);
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(guard);
        resolve({ answer: text, closedAfterMs: Date.now() - began });
      });
      socket.on('error', (err) => {
        if (
          (err as { code?: string }).code === 'ECONNRESET' ||
          (err as { code?: string }).code === 'EPIPE'
        )
          return;
        clearInterval(timer);
        reject(err);
      });
    });
  }

  it('cuts off a client that announces a body and sends nothing, with 408', async () => {
    const { answer, closedAfterMs } = await slowClient(
      'POST /api/v1/blocklist HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'validation_failed',
      message: 'the request did not arrive in time',
    });
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('cuts off a body trickled a byte at a time', async () => {
    const { answer, closedAfterMs } = await slowClient(
      'POST /api/v1/blocklist HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n',
      ' ',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('cuts off headers that never end', async () => {
    const { answer, closedAfterMs } = await slowClient('GET / HTTP/1.1\r\nHost: x\r\n', 'X: y\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('still serves a request that arrives in time', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/blocklist/a' });
    expect(res.statusCode).toBe(200);
  });
});
