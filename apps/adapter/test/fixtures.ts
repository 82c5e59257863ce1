import { readFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import * as path from 'node:path';

// The shared contract lives beside the repo (/work/shared next to /work/main).
export const SPEC_DIR = process.env['PAGER_SPEC_DIR']
  ? path.resolve(process.env['PAGER_SPEC_DIR'])
  : path.resolve(__dirname, '../../../../shared/spec');

interface KeyVector {
  private_key_pkcs8: string;
  public_key: string;
  fingerprint: string;
}

export interface TestVectors {
  keys: Record<string, KeyVector>;
  valid: Record<string, { object: Record<string, unknown>; signer: string }>;
  invalid: Record<string, { object: Record<string, unknown> }>;
}

export function testVectors(): TestVectors {
  return JSON.parse(readFileSync(path.join(SPEC_DIR, 'test-vectors.json'), 'utf8')) as TestVectors;
}

/** The Big List of Naughty Strings. */
export function naughtyStrings(): string[] {
  return JSON.parse(readFileSync(path.resolve(SPEC_DIR, '../data/blns.json'), 'utf8')) as string[];
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  body: any;
  headers: Headers;
}

export async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await check();
    if (result) return result;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
