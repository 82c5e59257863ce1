import { ProtocolError } from '@pager/protocol';
import { clientErrorAnswer, declaredOverLimit, limitFor, parseJson } from './create-http-app';
import { isLoopback } from './internal-api.guard';
import { ApiExceptionFilter } from './api-exception.filter';
import { JsonLogger } from '../logging/json-logger';
import { BadRequestException, NotFoundException } from '@nestjs/common';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : 'other';
  }
  return undefined;
}

describe(parseJson.name, () => {
  it('parses a JSON object', () => {
    expect(parseJson(Buffer.from('{"a":[1,"é"]}'))).toEqual({ a: [1, 'é'] });
  });

  it('refuses empty, malformed and non-UTF-8 bodies as invalid_json', () => {
    expect(codeOf(() => parseJson(Buffer.alloc(0)))).toBe('invalid_json');
    expect(codeOf(() => parseJson(Buffer.from('{"a":')))).toBe('invalid_json');
    expect(codeOf(() => parseJson(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])))).toBe(
      'invalid_json',
    );
  });

  it('refuses prototype-poisoning keys', () => {
    expect(codeOf(() => parseJson(Buffer.from('{"__proto__":{"x":1}}')))).toBe('invalid_json');
    expect(codeOf(() => parseJson(Buffer.from('{"constructor":{"prototype":{"x":1}}}')))).toBe(
      'invalid_json',
    );
  });
});

describe(limitFor.name, () => {
  const limits = { default: 64, bySuffix: { '/gossip': 4096 } };

  it('uses the suffix limit for matching paths, with or without a query or trailing slash', () => {
    expect(limitFor('/discovery/gossip', limits)).toBe(4096);
    expect(limitFor('/discovery/gossip/?x=1', limits)).toBe(4096);
    expect(limitFor('/discovery/query', limits)).toBe(64);
  });
});

describe(declaredOverLimit.name, () => {
  const limits = { default: 64, bySuffix: { '/gossip': 4096 } };

  it("answers the route's limit when the declared length is over it", () => {
    expect(declaredOverLimit('65', '/discovery/query', limits)).toBe(64);
    expect(declaredOverLimit('4097', '/discovery/gossip', limits)).toBe(4096);
  });

  it('is undefined within the limit, without a length or with a malformed one', () => {
    expect(declaredOverLimit('64', '/discovery/query', limits)).toBeUndefined();
    expect(declaredOverLimit('4096', '/discovery/gossip', limits)).toBeUndefined();
    expect(declaredOverLimit(undefined, '/discovery/query', limits)).toBeUndefined();
    expect(declaredOverLimit('1e9', '/discovery/query', limits)).toBeUndefined();
    expect(declaredOverLimit(['70', '70'], '/discovery/query', limits)).toBeUndefined();
  });
});

describe(clientErrorAnswer.name, () => {
  it('431 for oversized headers, 408 for slow clients, 400 otherwise, all in the error shape', () => {
    expect(clientErrorAnswer('HPE_HEADER_OVERFLOW')).toMatchObject({
      statusLine: '431 Request Header Fields Too Large',
      close: 'linger',
    });
    expect(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT')).toMatchObject({
      statusLine: '408 Request Timeout',
      close: 'close',
    });
    expect(clientErrorAnswer('ERR_HTTP_HEADERS_TIMEOUT').statusLine).toBe('408 Request Timeout');
    expect(clientErrorAnswer('HPE_INVALID_HEADER_TOKEN')).toMatchObject({
      statusLine: '400 Bad Request',
      body: { error: 'validation_failed', message: 'the request is not valid HTTP' },
      close: 'linger',
    });
  });
});

describe(isLoopback.name, () => {
  it.each([
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['::1', true],
    ['::ffff:127.0.0.2', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['fe80::1', false],
    ['', false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe(ApiExceptionFilter.name, () => {
  const sut = new ApiExceptionFilter(new JsonLogger('test', 'error', () => undefined));

  it('renders protocol errors with their status, code and Retry-After', () => {
    expect(sut.render(new ProtocolError('rate_limited', 'slow down', 42))).toEqual({
      status: 429,
      code: 'rate_limited',
      message: 'slow down',
      retryAfterSeconds: 42,
    });
  });

  it('maps framework errors to the spec codes', () => {
    expect(sut.render(new NotFoundException('nope')).code).toBe('not_found');
    expect(sut.render(new BadRequestException(['a must be a string'])).code).toBe(
      'validation_failed',
    );
    expect(sut.render({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
  });

  it('never leaks the message of an unexpected error', () => {
    expect(sut.render(new Error('password=hunter2 at db.ts:12'))).toEqual({
      status: 500,
      code: 'internal_error',
      message: 'internal error',
    });
  });
});
