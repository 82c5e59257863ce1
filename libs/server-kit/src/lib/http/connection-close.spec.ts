import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';
import { closeModeAfterAnswer, isLingering, lingeringClose } from './connection-close';

describe(closeModeAfterAnswer.name, () => {
  it('lingers only when the request body has not arrived whole', () => {
    expect(closeModeAfterAnswer(false)).toBe('linger');
    expect(closeModeAfterAnswer(true)).toBe('close');
    expect(closeModeAfterAnswer(undefined)).toBe('close');
  });
});

describe(lingeringClose.name, () => {
  let server: Server;
  let accepted: Promise<Socket>;

  beforeEach(async () => {
    let accept: (socket: Socket) => void = () => undefined;
    accepted = new Promise((resolve) => (accept = resolve));
    server = createServer((socket) => accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => new Promise((resolve) => server.close(resolve)));

  /** A client that keeps writing `bytes` in 64 KiB chunks after the server's answer. */
  function client(): { socket: Socket; received: () => string; reset: () => boolean } {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    let text = '';
    let reset = false;
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => (reset = true));
    return { socket, received: () => text, reset: () => reset };
  }

  it('lets the client finish sending and read the answer; closes when the client does', async () => {
    const c = client();
    const socket = await accepted;
    c.socket.write(Buffer.alloc(64 * 1024));
    socket.write('answer');
    lingeringClose(socket, 5_000);
    expect(isLingering(socket)).toBe(true);
    // 8 MiB more than any socket buffer: a plain close would reset the connection.
    for (let i = 0; i < 128; i++) c.socket.write(Buffer.alloc(64 * 1024));
    await new Promise((resolve) => c.socket.once('end', resolve));
    expect(c.received()).toBe('answer');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    c.socket.end();
    await closed;
    expect(c.reset()).toBe(false);
  });

  it('destroys the socket after lingerMs when the client never closes', async () => {
    const c = client();
    const socket = await accepted;
    const started = Date.now();
    lingeringClose(socket, 200);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - started).toBeLessThan(2_000);
    c.socket.destroy();
  });
});
