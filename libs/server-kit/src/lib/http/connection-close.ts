import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a connection closed on an answer sent before its request arrived whole (`413`,
 * bad JSON, bad HTTP) keeps reading and discarding what the client still sends (ms). Closing
 * at once with unread bytes makes the kernel reset the connection, and the reset throws
 * away the answer before the client reads it (it sees EPIPE or ECONNRESET, never the `413`).
 * RFC 9112 §9.6: close the sending side first, then read until the client closes, for a
 * bounded time. Lingering ends early when the client closes its side.
 */
export const LINGER_MS = 5_000;

/** What to do with a connection once the answer to its current request has been sent. */
export type CloseMode = 'close' | 'linger';

/**
 * Chooses how to close a connection after an answer that said `Connection: close`: a
 * request whose body has not arrived whole (`requestComplete` false) lingers, so that the
 * client can finish sending and then read the answer; a complete one closes at once.
 * Pure: the facts come from the request.
 */
export function closeModeAfterAnswer(requestComplete: boolean | undefined): CloseMode {
  return requestComplete === false ? 'linger' : 'close';
}

const lingering = new WeakSet<Socket>();
const currentRequest = new WeakMap<Socket, IncomingMessage>();

/**
 * Records `request` as its connection's current one (closeConnectionsGracefully reads it);
 * a request answered outside the `request` event (`checkContinue`) must be noted here.
 */
export function noteRequest(request: IncomingMessage): void {
  currentRequest.set(request.socket, request);
}

/** True while `socket` is closing in stages (its answer sent, the rest of its input discarded). */
export function isLingering(socket: Socket): boolean {
  return lingering.has(socket);
}

/**
 * Closes `socket` in stages: ends the sending side (after any answer already written), then
 * reads and discards the client's input until the client closes its side or `lingerMs`
 * have passed, then destroys the socket. Idempotent.
 */
export function lingeringClose(socket: Socket, lingerMs: number = LINGER_MS): void {
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.end();
  socket.resume();
}

/**
 * Makes `server` close a connection in stages (lingeringClose) instead of at once when it
 * answered `Connection: close` before the request's body had arrived whole: Node's HTTP
 * server ends such a connection through `socket.destroySoon()` when the answer is sent, and
 * the bytes still on their way then reset it. Connections whose request was complete close
 * as before; keep-alive connections are not affected.
 */
export function closeConnectionsGracefully(server: Server, lingerMs: number = LINGER_MS): void {
  server.on('request', noteRequest);
  server.on('connection', (socket: Socket) => {
    const destroySoon = socket.destroySoon.bind(socket);
    socket.destroySoon = () => {
      const request = currentRequest.get(socket);
      if (closeModeAfterAnswer(request?.complete) === 'linger') lingeringClose(socket, lingerMs);
      else destroySoon();
    };
  });
}
