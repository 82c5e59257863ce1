import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { ApiRoute } from '../http/api-route.decorator';
import { ServerKey } from '../keys/server-key';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ServerKey) private readonly serverKey: ServerKey,
  ) {}

  @ApiRoute({
    summary: 'The process is up.',
    access: 'open',
    responses: { 200: '`{ "status": "ok" }`' },
  })
  @Get('live')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Ready when the database answers, no migration is pending and the key is loaded. */
  @ApiRoute({
    summary:
      'Ready to serve: the database answers, every migration is applied and the key is loaded.',
    access: 'open',
    responses: {
      200: '`{ "status": "ok", "checks" }`',
      503: '`{ "status": "unavailable", "checks": { "database", "migrations", "key" } }`',
    },
  })
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, unknown>> {
    const checks: Record<string, boolean> = { database: false, migrations: false, key: false };
    try {
      await this.dataSource.query('SELECT 1');
      checks.database = true;
      checks.migrations = !(await this.dataSource.showMigrations());
    } catch {
      // reported below as not ready
    }
    checks.key = this.serverKey.fingerprint.length === 64;
    const ready = Object.values(checks).every(Boolean);
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', checks };
  }
}
