import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DestinationsService } from './destinations.service';

const DESTINATION_SHAPE =
  '{ server_id, state, reason, since, last_success_at, last_error, next_attempt_at, pages_waiting, pages_in_flight, consecutive_failures }';

/** SERVICES.md, Destinations (adapter, internal). */
@ApiTags('internal')
@Controller('api/v1/destinations')
export class DestinationsController {
  constructor(@Inject(DestinationsService) private readonly destinations: DestinationsService) {}

  @Get()
  @ApiOperation({ summary: 'Every destination with its delivery state' })
  @ApiQuery({
    name: 'state',
    required: false,
    enum: ['healthy', 'backing_off', 'unreachable', 'stopped'],
  })
  @ApiQuery({
    name: 'sort',
    required: false,
    enum: ['server_id', 'state', 'since', 'pages_waiting', 'next_attempt_at'],
  })
  @ApiResponse({ status: 200, description: `{ "destinations": [ ${DESTINATION_SHAPE} ] }` })
  @ApiResponse({ status: 400, description: 'validation_failed (state, sort)' })
  list(@Query() query: Record<string, unknown>) {
    return this.destinations.list(query);
  }

  @Get(':serverId')
  @ApiOperation({ summary: 'One destination' })
  @ApiParam({ name: 'serverId', description: 'server_id of the remote server' })
  @ApiResponse({ status: 200, description: DESTINATION_SHAPE })
  @ApiResponse({ status: 404, description: 'not_found' })
  one(@Param('serverId') serverId: string) {
    return this.destinations.one(serverId);
  }

  @Post(':serverId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Probe now (unreachable), retry waiting pages now (backoff reset)' })
  @ApiResponse({ status: 202, description: '{ server_id, state }' })
  @ApiResponse({ status: 404, description: 'not_found' })
  @ApiResponse({ status: 409, description: 'conflict: delivery is stopped' })
  retry(@Param('serverId') serverId: string) {
    return this.destinations.retry(serverId);
  }

  @Put(':serverId/delivery')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop delivery (with a reason) or make it active again' })
  @ApiBody({
    schema: {
      oneOf: [
        {
          type: 'object',
          properties: { state: { enum: ['stopped'] }, reason: { type: 'string' } },
          required: ['state', 'reason'],
        },
        { type: 'object', properties: { state: { enum: ['active'] } }, required: ['state'] },
      ],
    },
  })
  @ApiResponse({ status: 200, description: `the destination: ${DESTINATION_SHAPE}` })
  @ApiResponse({ status: 400, description: 'validation_failed' })
  setDelivery(@Param('serverId') serverId: string, @Body() body: unknown) {
    return this.destinations.setDelivery(serverId, body);
  }
}
