import { readFileSync } from 'node:fs';

/** Thrown for bad configuration; the service prints its message as one line and exits 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed settings from the environment. Every accessor fails with a one-line reason
 * naming the variable, so a misconfigured pod tells the operator exactly what to fix.
 */
export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  string(name: string, fallback?: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    return raw.trim();
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new ConfigError(`${name} is required`);
    return value;
  }

  /** A secret from `NAME` or from the file named by `NAME_FILE` (Kubernetes Secret, Vault agent). */
  secret(name: string): string | undefined {
    const file = this.string(`${name}_FILE`);
    if (file !== undefined) {
      if (this.string(name) !== undefined) {
        throw new ConfigError(`set only one of ${name} and ${name}_FILE`);
      }
      try {
        const value = readFileSync(file, 'utf8').trim();
        if (value === '') throw new ConfigError(`${name}_FILE ${file} is empty`);
        return value;
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError(`${name}_FILE ${file} cannot be read: ${(err as Error).message}`);
      }
    }
    return this.string(name);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) {
      throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  }

  list(name: string): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  url(name: string, fallback: string): string {
    const raw = this.string(name, fallback) as string;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(`${name} must be an absolute URL, got "${raw}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
    }
    return raw.replace(/\/+$/, '');
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.string(name, fallback) as T;
    if (!allowed.includes(raw)) {
      throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    }
    return raw;
  }
}
