import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { requireServerId } from '../shared/server-id-param';
import { ReputationService, ReputationView } from './reputation.service';

@ApiTags('internal')
@Controller('api/v1/reputation')
export class ReputationController {
  constructor(@Inject(ReputationService) private readonly reputation: ReputationService) {}

  @Post('report')
  @HttpCode(201)
  report(@Body() body: unknown): Promise<{ server_id: string; reason: string }> {
    return this.reputation.reportFromBody(body);
  }

  @Get(':serverId')
  get(@Param('serverId') serverId: string): Promise<ReputationView> {
    return this.reputation.get(requireServerId(serverId));
  }
}
