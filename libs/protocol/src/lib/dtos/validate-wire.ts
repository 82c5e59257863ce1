import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';

export type WireValidation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

// Members that could reach an instance's prototype chain. class-transformer 0.5.1 skips them
// itself; dropping them here too keeps that guarantee if the library changes. No wire object
// has such a member.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// Far deeper than any wire object; stops a pathological body from exhausting the stack.
const MAX_DEPTH = 32;

class TooDeepError extends Error {}

function toPlainData(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) throw new TooDeepError();
  if (Array.isArray(value)) return value.map((item) => toPlainData(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (!UNSAFE_KEYS.has(key)) copy[key] = toPlainData(member, depth + 1);
  }
  return copy;
}

function flatten(errors: ValidationError[], parent: string, out: Set<string>): void {
  for (const error of errors) {
    const path =
      parent && error.property ? `${parent}.${error.property}` : error.property || parent;
    for (const message of Object.values(error.constraints ?? {})) {
      out.add(`${path || 'body'}: ${message}`);
    }
    if (error.children?.length) flatten(error.children, path, out);
  }
}

/**
 * Checks a parsed JSON body against a wire DTO class, synchronously and without throwing,
 * whatever the input. Members the DTO does not know are tolerated (protocol 1.x minors may
 * add some).
 *
 * The returned `value` is a typed copy for reading fields. Verify signatures over the original
 * parsed body, never over `value`: the copy omits `__proto__`/`constructor`/`prototype`
 * members, which would still count in the signing input.
 */
export function validateWire<T extends object>(
  cls: new () => T,
  plain: unknown,
): WireValidation<T> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { ok: false, errors: ['body: must be a JSON object'] };
  }
  try {
    const instance = plainToInstance(cls, toPlainData(plain, 0));
    const errors = validateSync(instance, {
      whitelist: false,
      forbidUnknownValues: true,
      stopAtFirstError: true,
    });
    if (errors.length === 0) return { ok: true, value: instance };
    const messages = new Set<string>();
    flatten(errors, '', messages);
    return { ok: false, errors: [...messages] };
  } catch (err) {
    if (err instanceof TooDeepError) {
      return { ok: false, errors: [`body: nested more than ${MAX_DEPTH} levels deep`] };
    }
    return { ok: false, errors: ['body: cannot be validated'] };
  }
}
