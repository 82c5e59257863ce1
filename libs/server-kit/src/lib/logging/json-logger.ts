import { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/common-config';

const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
]);
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * JSON lines on stdout, one object per event, so that log shippers need no parsing rules.
 * `event()` is for domain events (`federation.message_sent`), the rest serves NestJS.
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(
    private readonly service: string,
    level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {
    this.threshold = LEVELS[level];
  }

  event(name: string, fields: Record<string, unknown> = {}, level: LogLevel = 'info'): void {
    this.emit(level, { event: name, ...fields });
  }

  log(message: unknown, context?: string): void {
    // NestJS narrates its route mapping at "log" level; that is start-up detail.
    const level = context !== undefined && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info';
    this.emit(level, { msg: String(message), context });
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.emit('error', { msg: String(message), trace, context });
  }
  warn(message: unknown, context?: string): void {
    this.emit('warn', { msg: String(message), context });
  }
  debug(message: unknown, context?: string): void {
    this.emit('debug', { msg: String(message), context });
  }
  verbose(message: unknown, context?: string): void {
    this.emit('debug', { msg: String(message), context });
  }

  private emit(level: LogLevel, fields: Record<string, unknown>): void {
    if (LEVELS[level] < this.threshold) return;
    const record = { time: new Date().toISOString(), level, service: this.service, ...fields };
    try {
      this.write(JSON.stringify(record));
    } catch {
      // A log line must never take the service down (e.g. a circular field).
      this.write(
        JSON.stringify({
          time: record.time,
          level,
          service: this.service,
          msg: 'unserialisable log record',
        }),
      );
    }
  }
}
