import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InternalApiError } from '@pager/internal-api';
import { ProtocolError } from '@pager/protocol';
import type { FastifyReply } from 'fastify';
import { statusPageCsp } from './status-page';
import { StatusService } from './status.service';

/**
 * `GET /status` (SERVICES.md, Destinations: same access rule as the internal API) and the
 * page's actions. HTML for operators; scripts use `/api/v1` or `fedctl`.
 */
@ApiExcludeController()
@Controller('status')
export class StatusController {
  constructor(@Inject(StatusService) private readonly status: StatusService) {}

  @Get()
  async page(@Res() reply: FastifyReply): Promise<void> {
    const { html, nonce } = await this.status.page();
    reply
      .status(200)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', statusPageCsp(nonce))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(html);
  }

  /** `{ action: retry|stop|resume, server_id, reason? }` from the page's script. */
  @Post('actions')
  @HttpCode(200)
  async act(
    @Body() body: unknown,
    @Headers() headers: Record<string, string | undefined>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    requireSameOrigin(headers);
    try {
      return await this.status.act(body);
    } catch (err) {
      if (err instanceof InternalApiError) {
        reply.status(err.status);
        return err.body;
      }
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError('service_unavailable', (err as Error).message);
    }
  }
}

/**
 * Refuses a request another site's page could have made in the operator's browser (CSRF):
 * it must carry `x-status-action` (a header cross-site requests cannot send without a CORS
 * preflight, which we never grant), and `Sec-Fetch-Site` / `Origin`, when the browser sends
 * them, must say same origin.
 */
export function requireSameOrigin(headers: Record<string, string | undefined>): void {
  if (headers['x-status-action'] !== '1')
    throw new ProtocolError('unauthorized', 'status actions come from the status page only');
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin')
    throw new ProtocolError('unauthorized', `cross-site request refused (${site})`);
  const origin = headers['origin'];
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== headers['host'])
      throw new ProtocolError('unauthorized', 'cross-origin request refused');
  }
}
