import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProtocolError } from '@pager/protocol';
import type { CommonConfig } from '../config/common-config';
import { ConfigError } from '../config/env-reader';
import { ApiRoute } from '../http/api-route.decorator';
import { JsonLogger } from '../logging/json-logger';
import { COMMON_CONFIG } from '../platform.tokens';
import { KeyState, ServerKey, readServerKeys } from './server-key';

/** `POST /api/v1/keys/reload`: the key state after the reload, and whether it changed. */
export interface KeyReloadAnswer extends KeyState {
  changed: boolean;
}

/**
 * The server key of either service (docs/operations.md, "Key rotation"): what is loaded,
 * and a reload that re-reads PRIVATE_KEY_PATH and PREVIOUS_KEY_PATH and swaps both at once.
 */
@ApiTags('internal')
@Controller('api/v1/keys')
export class KeysController {
  constructor(
    @Inject(ServerKey) private readonly key: ServerKey,
    @Inject(COMMON_CONFIG) private readonly config: CommonConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  @ApiRoute({
    summary:
      'The key in use and the key being rotated away from (PREVIOUS_KEY_PATH), by fingerprint.',
    access: 'internal',
    responses: { 200: '`{ "fingerprint", "previous_fingerprint" }` (null when no rotation)' },
  })
  @Get()
  @HttpCode(200)
  state(): KeyState {
    return this.key.state();
  }

  @ApiRoute({
    summary:
      'Re-reads PRIVATE_KEY_PATH and PREVIOUS_KEY_PATH and swaps both keys at once; the daemon then re-signs its announcement (with the rotation_signature) and pushes it to its neighbours before answering. A file that cannot be used leaves the loaded keys as they were (409 conflict).',
    access: 'internal',
    responses: { 200: '`{ "fingerprint", "previous_fingerprint", "changed" }`' },
    errors: ['conflict'],
  })
  @Post('reload')
  @HttpCode(200)
  async reload(): Promise<KeyReloadAnswer> {
    let files;
    try {
      files = readServerKeys(this.config);
    } catch (err) {
      if (err instanceof ConfigError) {
        this.logger.event('keys.reload_refused', { error: err.message }, 'error');
        throw new ProtocolError('conflict', `${err.message}; the loaded keys are kept`);
      }
      throw err;
    }
    const before = this.key.state();
    const { changed, state, errors } = await this.key.replace(files.current, files.previous);
    this.logger.event(
      'keys.reloaded',
      {
        changed,
        fingerprint: state.fingerprint,
        previous_fingerprint: state.previous_fingerprint ?? undefined,
        from: changed ? before.fingerprint : undefined,
        errors: errors.length > 0 ? errors : undefined,
      },
      changed ? 'warn' : 'info',
    );
    return { ...state, changed };
  }
}
