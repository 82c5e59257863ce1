/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Signatures are computed over these bytes, so two implementations must agree to the byte:
 * members sorted by UTF-16 code units, no whitespace, strings and numbers exactly as
 * ECMAScript's JSON.stringify writes them (RFC 8785 defines its number format by reference to
 * ECMAScript, so JSON.stringify is the reference implementation for leaves).
 */
export function canonicalize(value: unknown): string {
  const out = serialize(value, new Set<object>());
  if (out === undefined) {
    throw new TypeError('canonicalize: value has no JSON representation');
  }
  return out;
}

/** Returns undefined for values JSON.stringify would omit (undefined, functions, symbols). */
function serialize(value: unknown, ancestors: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // RFC 8785 section 3.2.2.3: NaN and Infinity have no JSON form and must be an error,
      // where JSON.stringify would silently write null.
      if (!Number.isFinite(value)) throw new RangeError(`canonicalize: non-finite number ${value}`);
      return JSON.stringify(value); // also turns -0 into 0, as the RFC requires
    case 'bigint':
      throw new TypeError('canonicalize: BigInt has no JSON representation');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }

  const obj = value as object;
  // Honour toJSON (Date and friends) and boxed primitives the way JSON.stringify does.
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialize(toJSON.call(obj), ancestors);
  if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) {
    return serialize(obj.valueOf(), ancestors);
  }

  if (ancestors.has(obj)) throw new TypeError('canonicalize: cyclic structure');
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      // Inside arrays, unrepresentable members become null (JSON.stringify semantics).
      return `[${obj.map((item) => serialize(item, ancestors) ?? 'null').join(',')}]`;
    }
    const record = obj as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is exactly RFC 8785's ordering;
    // localeCompare would not be.
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = serialize(record[key], ancestors);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}
