import {
  ApiRoute,
  JsonLogger,
  TRACEPARENT_HEADER,
  parseTraceparent,
  childSpan,
  traceFields,
} from '@pager/server-kit';
import { Body, Controller, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProtocolError } from '@pager/protocol';
import { isIP } from 'node:net';
import { Route, RoutingService } from './routing.service';
import { SenderKeyRefresh } from './sender-key-refresh.service';

@ApiTags('internal')
@Controller('api/v1/route')
export class RouteController {
  constructor(
    @Inject(RoutingService) private readonly routing: RoutingService,
    @Inject(SenderKeyRefresh) private readonly keyRefresh: SenderKeyRefresh,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  /**
   * Optional body `{ "client_address": "<IP>" }`: the look-up is for the sender of an inbound
   * message from that address, and a flood spends the sender-lookup budget.
   */
  @ApiRoute({
    summary:
      'Resolves a domain: itself, the cache, then query flooding; 404 pin_pending for a server whose key is not confirmed yet (PIN_CONFIRMATIONS). Optional body `{ "client_address" }`: a look-up for the sender of an inbound message from that address spends the sender-lookup budget (429 rate_limited when spent).',
    access: 'internal',
    responses: {
      200: '`{ "domain", "server_id", "endpoints", "public_key", "fingerprint", "source": "self" | "cache" | "query", "previous_key"? }`; `previous_key` `{ "public_key", "fingerprint", "rotated_at" }`: the key the pin last moved away from, once a rotation moved it',
    },
    errors: ['validation_failed', 'blocked', 'domain_not_found', 'pin_pending', 'rate_limited'],
  })
  @Post(':domain')
  @HttpCode(200)
  async route(
    @Param('domain') domain: string,
    @Body() body: unknown,
    @Headers(TRACEPARENT_HEADER) traceparent: string | string[] | undefined,
  ): Promise<Route> {
    // A look-up for a page (the adapter sends the page's span): one line with its trace id,
    // so that the page can be followed into the daemon (docs/operations.md). Untraced
    // look-ups log nothing; a malformed header is ignored.
    const parent = parseTraceparent(traceparent);
    if (parent === undefined) return this.routing.route(domain, clientAddressOf(body));
    const span = childSpan(parent);
    try {
      const route = await this.routing.route(domain, clientAddressOf(body));
      this.logger.event('discovery.route_lookup', {
        domain,
        result: route.source,
        ...traceFields(span),
      });
      return route;
    } catch (err) {
      this.logger.event('discovery.route_lookup', {
        domain: domain.slice(0, 253),
        result: err instanceof ProtocolError ? err.code : 'error',
        ...traceFields(span),
      });
      throw err;
    }
  }

  @ApiRoute({
    summary:
      "Refreshes a known server's key before the adapter answers key_mismatch: fetches its current announcement (at most once per server per minute), where a valid rotation_signature by the pinned key moves the pin; answers the route as it then stands.",
    access: 'internal',
    responses: {
      200: '`{ "domain", "server_id", "endpoints", "public_key", "fingerprint", "source": "cache", "previous_key"? }`',
    },
    errors: ['validation_failed', 'blocked', 'domain_not_found'],
  })
  @Post(':domain/refresh')
  @HttpCode(200)
  refresh(@Param('domain') domain: string): Promise<Route> {
    return this.keyRefresh.refresh(domain);
  }
}

/** The `client_address` of a route request body; 400 validation_failed if it is no IP. */
export function clientAddressOf(body: unknown): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ProtocolError('validation_failed', 'body: must be a JSON object');
  }
  const value = (body as Record<string, unknown>)['client_address'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 64 || isIP(value) === 0) {
    throw new ProtocolError('validation_failed', 'client_address: must be an IP address');
  }
  return value;
}
