import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { requireServerId } from '../common/server-id-param';
import { ReputationService, ReputationView } from './reputation.service';

@ApiTags('internal')
@Controller('api/v1/reputation')
export class ReputationController {
  constructor(@Inject(ReputationService) private readonly reputation: ReputationService) {}

  @ApiRoute({
    summary:
      'Records a report against a server; reports lower its score. The reason `rate_limit_violation` counts in `rate_limit_violations` (-2 each), any other in `reports` (-5 each).',
    access: 'internal',
    body: '`{ "server_id", "reason" ([a-z0-9_.-]{1,64}), "details"? (at most 1000 characters) }`',
    responses: { 201: '`{ "server_id", "reason" }`' },
    errors: ['validation_failed'],
  })
  @Post('report')
  @HttpCode(201)
  report(@Body() body: unknown): Promise<{ server_id: string; reason: string }> {
    return this.reputation.reportFromBody(body);
  }

  @ApiRoute({
    summary: 'The reputation of a server.',
    access: 'internal',
    responses: {
      200: '`{ "server_id", "score" (0 to 100), "reports", "rate_limit_violations", "key_conflicts", "blocked", "first_seen", "last_seen" }`; `rate_limit_violations`: reported ones and those of this daemon\'s own limits',
    },
    errors: ['validation_failed', 'not_found'],
  })
  @Get(':serverId')
  get(@Param('serverId') serverId: string): Promise<ReputationView> {
    return this.reputation.get(requireServerId(serverId));
  }
}
