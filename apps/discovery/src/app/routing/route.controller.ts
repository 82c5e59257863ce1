import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
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
      200: '`{ "domain", "server_id", "endpoints", "public_key", "fingerprint", "source": "self" | "cache" | "query" }`',
    },
    errors: ['validation_failed', 'blocked', 'domain_not_found', 'pin_pending', 'rate_limited'],
  })
  @Post(':domain')
  @HttpCode(200)
  route(@Param('domain') domain: string, @Body() body: unknown): Promise<Route> {
    return this.routing.route(domain, clientAddressOf(body));
  }

  @ApiRoute({
    summary:
      "Refreshes a known server's key before the adapter answers key_mismatch: fetches its current announcement (at most once per server per minute), where a valid rotation_signature by the pinned key moves the pin; answers the route as it then stands.",
    access: 'internal',
    responses: {
      200: '`{ "domain", "server_id", "endpoints", "public_key", "fingerprint", "source": "cache" }`',
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
