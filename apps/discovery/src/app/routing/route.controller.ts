import { ApiRoute } from '@pager/server-kit';
import { Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Route, RoutingService } from './routing.service';

@ApiTags('internal')
@Controller('api/v1/route')
export class RouteController {
  constructor(@Inject(RoutingService) private readonly routing: RoutingService) {}

  @ApiRoute({
    summary: 'Resolves a domain: itself, the cache, then query flooding.',
    access: 'internal',
    responses: {
      200: '`{ "domain", "server_id", "endpoints", "public_key", "fingerprint", "source": "self" | "cache" | "query" }`',
    },
    errors: ['validation_failed', 'blocked', 'domain_not_found'],
  })
  @Post(':domain')
  @HttpCode(200)
  route(@Param('domain') domain: string): Promise<Route> {
    return this.routing.route(domain);
  }
}
