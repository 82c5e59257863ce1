import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import type { LogLevel } from '../config/common-config';
import { redactSecrets } from './redact-secrets';

const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
]);

/**
 * JSON lines on stdout through pino, one object per event, so that log shippers need no
 * parsing rules: `{"level","time","service","event"|"msg",...}` (time in ISO 8601, level
 * as its name). `event()` is for domain events (`federation.message_sent`), the rest
 * serves NestJS (its LoggerService).
 *
 * Secrets never reach a line: fields named like credentials (`authorization`, `token`,
 * `password`, `secret`, `private_key`, `database_url`, ...) are replaced with
 * `[redacted]`, and in every string the password of a connection URL, a bearer token and
 * a PEM private key are masked ({@link redactSecrets}).
 */
export class JsonLogger implements LoggerService {
  private readonly pino: Logger;

  /**
   * @param service `service` field of every line
   * @param level lowest level written
   * @param write where lines go (without the newline); default: stdout, written synchronously
   *   so that nothing is lost when the process exits right after a line
   */
  constructor(service: string, level?: LogLevel, write?: (line: string) => void);
  constructor(service: string, level: LogLevel, write: undefined, parent: Logger);
  constructor(
    service: string,
    level: LogLevel = 'info',
    write?: (line: string) => void,
    parent?: Logger,
  ) {
    this.pino =
      parent ??
      pino(
        {
          level,
          base: { service },
          messageKey: 'msg',
          timestamp: pino.stdTimeFunctions.isoTime,
          formatters: {
            level: (label) => ({ level: label }),
            log: (object) => redactSecrets(object) as Record<string, unknown>,
          },
        },
        destination(write),
      );
  }

  /** A logger whose every line also carries `fields` (e.g. `{ trace_id }` for one page). */
  child(fields: Record<string, unknown>): JsonLogger {
    return new JsonLogger(
      '',
      this.pino.level as LogLevel,
      undefined,
      this.pino.child(redactSecrets(fields) as Record<string, unknown>),
    );
  }

  event(name: string, fields: Record<string, unknown> = {}, level: LogLevel = 'info'): void {
    this.pino[level]({ event: name, ...fields });
  }

  log(message: unknown, context?: string): void {
    // NestJS narrates its route mapping at "log" level; that is start-up detail.
    const level = context !== undefined && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info';
    this.pino[level]({ msg: String(message), context });
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ msg: String(message), trace, context });
  }
  warn(message: unknown, context?: string): void {
    this.pino.warn({ msg: String(message), context });
  }
  debug(message: unknown, context?: string): void {
    this.pino.debug({ msg: String(message), context });
  }
  verbose(message: unknown, context?: string): void {
    this.pino.debug({ msg: String(message), context });
  }

  /** Writes out anything buffered (a no-op for the synchronous default destination). */
  flush(): void {
    this.pino.flush();
  }
}

function destination(write: ((line: string) => void) | undefined): DestinationStream {
  if (write === undefined) return pino.destination({ dest: 1, sync: true });
  return { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) };
}
