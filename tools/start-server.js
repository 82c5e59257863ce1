#!/usr/bin/env node
// `npm start`: one complete server (discovery daemon + federation adapter) from dist/,
// configured by the environment as docs/api.md describes. The daemon starts first (it
// creates the shared key if there is none); SIGINT/SIGTERM stop both cleanly.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// The single-host key layout `fedctl keys rotate` uses (docs/operations.md, key rotation):
// the previous key beside the current one. A missing file is no rotation.
if (!process.env.PREVIOUS_KEY_PATH) {
  process.env.PREVIOUS_KEY_PATH = path.join(
    path.resolve(process.env.DATA_DIR || './.data'),
    'server-key.previous.pem',
  );
}
const children = [];
let stopping = false;

function start(app) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'apps', app, 'main.js')], {
    stdio: 'inherit',
    env: process.env,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${app} exited (${signal ?? code}); stopping the server\n`);
      stop(code || 1);
    }
  });
  children.push(child);
  return child;
}

async function waitReady(port, child) {
  const host =
    process.env.BIND_ADDRESS && process.env.BIND_ADDRESS !== '0.0.0.0'
      ? process.env.BIND_ADDRESS
      : '127.0.0.1';
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`http://${host}:${port}/health/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`service on port ${port} did not become ready`);
}

function stop(code) {
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (alive.length === 0) process.exit(code);
  let left = alive.length;
  for (const child of alive) {
    child.once('exit', () => --left === 0 && process.exit(code));
    child.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code || 1), 12_000).unref();
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

(async () => {
  const discovery = start('discovery');
  await waitReady(process.env.DISCOVERY_PORT || 4100, discovery);
  start('adapter');
})().catch((err) => {
  process.stderr.write(`cannot start: ${err.message}\n`);
  stop(1);
});
