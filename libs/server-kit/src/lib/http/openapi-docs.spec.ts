import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger } from '../logging/json-logger';
import { SWAGGER_UI_ASSETS, createHttpApp, swaggerUiHtml } from './create-http-app';

@Controller('api/v1/things')
class ThingsController {
  @Get()
  list(): { things: string[] } {
    return { things: [] };
  }
}

@Module({ controllers: [ThingsController] })
class DocsTestModule {}

/** `/docs` works offline: Swagger UI and its assets from disk, the document as JSON. */
describe('OpenAPI at /docs', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createHttpApp(DocsTestModule, {
      logger: new JsonLogger('test', 'error', () => undefined),
      bodyLimits: { default: 1024 },
      title: 'test <service>',
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const get = (url: string, accept?: string) =>
    app.inject({ method: 'GET', url, headers: accept ? { accept } : {} });

  it('serves the document at /docs/json, and at /docs to clients that do not ask for HTML', async () => {
    for (const [url, accept] of [
      ['/docs/json', 'text/html'],
      ['/docs', undefined],
      ['/docs', 'application/json'],
    ] as const) {
      const response = await get(url, accept);
      expect(response.statusCode).toBe(200);
      const document = response.json();
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths)).toContain('/api/v1/things');
    }
  });

  it('serves Swagger UI to a browser, every asset local, under a CSP of self', async () => {
    const page = await get('/docs', 'text/html,application/xhtml+xml');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toBe(swaggerUiHtml('test <service>'));
    expect(page.body).toContain('test &#60;service&#62;');
    const referenced = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(referenced.every((u) => u.startsWith('/docs/'))).toBe(true);
    for (const url of referenced) {
      const asset = await get(url);
      expect({ url, status: asset.statusCode }).toEqual({ url, status: 200 });
      expect(asset.rawPayload.length).toBeGreaterThan(100);
    }
    expect(Object.keys(SWAGGER_UI_ASSETS).length).toBe(4);
    const init = await get('/docs/swagger-initializer.js');
    expect(init.body).toContain("url: '/docs/json'");
    expect((await get('/docs/../package.json')).statusCode).toBe(404);
  });
});
