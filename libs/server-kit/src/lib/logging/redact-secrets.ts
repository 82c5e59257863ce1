/** What a masked secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Field names whose value is a credential, whatever it looks like (case-insensitive,
 * `-` and `_` ignored): authorization headers, tokens, passwords, secrets, private keys,
 * connection strings, cookies.
 */
const SECRET_KEY =
  /^(authorization|proxyauthorization|cookie|setcookie|token|accesstoken|refreshtoken|internalapitoken|apikey|xapikey|password|passwd|secret|clientsecret|pagerwebhooksecret|webhooksecret|privatekey|privatekeypem|databaseurl|connectionstring)$/;

/** Secrets that may sit inside any string (an error message, a URL, a header dump). */
const SECRET_PATTERNS: [RegExp, string][] = [
  // The password of a URL's userinfo: postgres://user:password@host → postgres://user:[redacted]@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/gi, `$1${REDACTED}@`],
  // A bearer (or basic) credential in a header value.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  // A PEM private key, whole.
  [
    /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`,
  ],
];

const MAX_DEPTH = 8;

/**
 * A copy of a log record with secrets masked (pure): values of credential-named fields
 * become `[redacted]`, and URL passwords, bearer tokens and PEM private keys inside strings
 * are masked. Objects nested deeper than 8 levels are cut (`[depth]`); arrays and objects
 * are copied, never mutated. Errors are rendered as `{ name, message, stack, code }`.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[depth]';
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const source =
    value instanceof Error
      ? {
          name: value.name,
          message: value.message,
          stack: value.stack,
          code: (value as { code?: unknown }).code,
        }
      : (value as Record<string, unknown>);
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(source)) {
    copy[key] =
      SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, '')) && field !== undefined
        ? REDACTED
        : redactSecrets(field, depth + 1);
  }
  return copy;
}

function redactString(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
