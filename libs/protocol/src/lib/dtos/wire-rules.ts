import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  registerDecorator,
} from 'class-validator';
import { parseProtocolTimestamp } from '../time';
import { BASE64_RE } from '../signing';
import { VERSION_RE } from '../version';
import { STORABLE_TEXT_RULE, isStorableText } from '../storable-text';

// Building blocks for the wire DTOs, so that each rule and its message is written once.
// Messages read after the member path: "content: must be 1 to 4096 characters".

export const SERVER_ID_MAX = 253;
export const ADDRESS_MAX = 300;
export const URL_MAX = 2048;
export const PUBLIC_KEY_MAX = 16384;
export const SIGNATURE_MAX = 2048;
const VERSION_MAX = 16;
const SHA256_HEX_RE = /^[0-9a-f]{64}$/;

function all(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

/**
 * A string PostgreSQL can keep unchanged (no U+0000, no lone surrogate), for any DTO whose
 * field may reach a query (see storable-text.ts). A non-string fails too.
 */
export const WireStorableText = (): PropertyDecorator =>
  registerRule('storableText', (v) => isStorableText(v), STORABLE_TEXT_RULE);

/**
 * A string of at most `max` UTF-16 units that is storable text. Every wire string but a
 * page's `content` (WireCodePoints, stored losslessly by the adapter) uses this, so U+0000
 * and lone surrogates are refused with 400 validation_failed before any query sees them.
 */
export const WireString = (max: number): PropertyDecorator =>
  all(
    IsString({ message: 'must be a string' }),
    MaxLength(max, { message: `must be at most ${max} characters` }),
    WireStorableText(),
  );

export const WirePattern = (max: number, pattern: RegExp, what: string): PropertyDecorator =>
  all(WireString(max), Matches(pattern, { message: `must be ${what}` }));

export const WireBoolean = (): PropertyDecorator => IsBoolean({ message: 'must be a boolean' });

export const WireInt = (min: number, max: number): PropertyDecorator =>
  all(
    IsInt({ message: `must be an integer from ${min} to ${max}` }),
    Min(min, { message: `must be an integer from ${min} to ${max}` }),
    Max(max, { message: `must be an integer from ${min} to ${max}` }),
  );

export const WireLiteral = (value: string): PropertyDecorator =>
  Equals(value, { message: `must be "${value}"` });

export const WireOneOf = (values: readonly string[]): PropertyDecorator =>
  IsIn([...values], { message: `must be one of ${values.join(', ')}` });

export const WireVersion = (): PropertyDecorator =>
  WirePattern(VERSION_MAX, VERSION_RE, 'a MAJOR.MINOR version');

export const WireSignature = (): PropertyDecorator =>
  all(
    WireString(SIGNATURE_MAX),
    registerRule(
      'base64Signature',
      (v) => typeof v === 'string' && v.length > 0 && BASE64_RE.test(v),
      'must be non-empty standard padded base64',
    ),
  );

export const WireSha256Hex = (): PropertyDecorator =>
  WirePattern(64, SHA256_HEX_RE, '64 lowercase hex characters');

/**
 * What is wrong with a `bucket_hashes` member, or null when it is an array of exactly
 * `DIGEST_BUCKETS` (64) lowercase hex SHA-256 strings. One pass by hand instead of four
 * class-validator rules applied per element: every `gossip` and `gossip_reply` carries it.
 * Messages, in the order of the checks: not an array, not 64 items, a bad item.
 */
export function bucketHashesProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be an array of 64 hashes';
  if (value.length !== 64) return 'must hold exactly 64 hashes';
  for (const hash of value) {
    if (typeof hash !== 'string' || !SHA256_HEX_RE.test(hash)) {
      return 'must hold 64 lowercase hex characters each';
    }
  }
  return null;
}

export const WireBucketHashes = (): PropertyDecorator => (target, property) =>
  registerDecorator({
    name: 'bucketHashes',
    target: target.constructor,
    propertyName: property as string,
    options: { message: (args) => bucketHashesProblem(args.value) ?? '' },
    validator: { validate: (value: unknown) => bucketHashesProblem(value) === null },
  });

export const WireObject = (): PropertyDecorator => IsObject({ message: 'must be an object' });

/** An array of objects that are checked one by one later (so a bad one is dropped, not fatal). */
export const WireObjectArray = (max: number): PropertyDecorator =>
  all(
    IsArray({ message: 'must be an array' }),
    ArrayMaxSize(max, { message: `must hold at most ${max} items` }),
    IsObject({ each: true, message: 'must hold objects only' }),
  );

export const WireStringArray = (maxItems: number, maxLength: number): PropertyDecorator =>
  all(
    IsArray({ message: 'must be an array' }),
    ArrayMaxSize(maxItems, { message: `must hold at most ${maxItems} items` }),
    IsString({ each: true, message: 'must hold strings only' }),
    MaxLength(maxLength, {
      each: true,
      message: `must hold strings of at most ${maxLength} characters`,
    }),
    registerRule(
      'storableTextEach',
      (v) => Array.isArray(v) && v.every((item) => isStorableText(item)),
      `must hold strings that ${STORABLE_TEXT_RULE.replace('must be', 'are')}`,
    ),
  );

/** A nested object validated against `cls` (IsObject first: arrays must not pass as objects). */
export const WireNested = (cls: () => new () => object): PropertyDecorator =>
  all(
    IsObject({ message: 'must be an object' }),
    ValidateNested({ message: 'must be an object' }),
    Type(cls),
  );

export const WireNestedArray = (cls: () => new () => object, max: number): PropertyDecorator =>
  all(
    WireObjectArray(max),
    ValidateNested({ each: true, message: 'must hold objects only' }),
    Type(cls),
  );

export const WireTimestamp = (): PropertyDecorator =>
  registerRule(
    'protocolTimestamp',
    (v) => typeof v === 'string' && parseProtocolTimestamp(v) !== null,
    'must be an RFC 3339 UTC timestamp such as 2025-10-15T10:30:00Z',
  );

/** Length in Unicode code points, as the spec counts `content` (not UTF-16 units). */
export const WireCodePoints = (min: number, max: number): PropertyDecorator =>
  registerRule(
    'codePointLength',
    (v) => {
      if (typeof v !== 'string' || v.length > 2 * max) return false;
      const n = [...v].length;
      return n >= min && n <= max;
    },
    `must be ${min} to ${max} characters`,
  );

/** An object mapping server ids to protocol timestamps (a gossip reply's `digest`). */
export const WireTimestampMap = (): PropertyDecorator =>
  registerRule(
    'timestampMap',
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      Object.entries(v).every(
        ([id, ts]) =>
          id.length <= SERVER_ID_MAX &&
          isStorableText(id) &&
          typeof ts === 'string' &&
          parseProtocolTimestamp(ts) !== null,
      ),
    'must map server ids to RFC 3339 UTC timestamps',
  );

function registerRule(
  name: string,
  check: (v: unknown) => boolean,
  message: string,
): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: property as string,
      options: { message },
      validator: { validate: (value: unknown) => check(value) },
    });
}
