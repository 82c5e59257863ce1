// Page content is stored as a JSON string literal: PostgreSQL text cannot hold U+0000, and the
// driver silently replaces lone surrogates with U+FFFD, yet the protocol allows any 1 to 4096
// code points. JSON.stringify escapes exactly those, so every accepted content round-trips.

export function encodeContent(content: string): string {
  return JSON.stringify(content);
}

export function decodeContent(stored: string): string {
  return JSON.parse(stored) as string;
}
