import { Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Route, RoutingService } from './routing.service';

@ApiTags('internal')
@Controller('api/v1/route')
export class RouteController {
  constructor(@Inject(RoutingService) private readonly routing: RoutingService) {}

  @Post(':domain')
  @HttpCode(200)
  route(@Param('domain') domain: string): Promise<Route> {
    return this.routing.route(domain);
  }
}
