// HTTP and argv helpers shared by the plain-JS benches (bench/delivery, bench/log-volume,
// bench/table-flood): they run with plain `node`, without ts-node (bench/lib/kit.ts is the
// TypeScript benches' equivalent).
'use strict';
const http = require('node:http');

/** `--name value` pairs of process.argv as an object of strings (`{ name: 'value' }`). */
function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

/**
 * One HTTP request with a JSON body (when `body` is given) through `agent`.
 * Resolves `{ status, text, body }`: `body` is the parsed JSON, or the text when it is not
 * JSON, or undefined when empty. Rejects on a connection error only (any status resolves).
 */
function jsonRequest(agent, base, method, route, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      base + route,
      {
        method,
        agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, text, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

module.exports = { parseArgs, jsonRequest };
