/**
 * A program that holds real node:net sockets inside a network namespace, driven by JSON lines
 * on stdin. Each command gets a reply `{id, ok, result|error}`; socket activity is reported as
 * events `{event, conn, at, ...}` on stdout. Started by src/resources/socket-agent.ts.
 */
import dgram from 'node:dgram';
import http2 from 'node:http2';
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import net from 'node:net';
import tls from 'node:tls';

type Command =
  | { id: number; op: 'listen'; port: number; allowHalfOpen?: boolean; pauseOnConnect?: boolean }
  | { id: number; op: 'connect'; host: string; port: number; conn: string; noDelay?: boolean }
  | { id: number; op: 'write'; conn: string; bytes: number }
  | { id: number; op: 'resume' | 'end' | 'destroy'; conn: string }
  | { id: number; op: 'close-listener'; port: number }
  | {
      id: number;
      op: 'udp-open';
      sock: string;
      family?: 4 | 6;
      port?: number;
      /** Join a multicast group on the interface with this address. */
      join?: { group: string; iface: string };
      /** Send multicast out of the interface with this address. */
      multicastInterface?: string;
      connect?: { host: string; port: number };
    }
  | { id: number; op: 'udp-send'; sock: string; bytes: number; host?: string; port?: number }
  | { id: number; op: 'tls-listen'; port: number; cert: string; key: string }
  /** An HTTP/2 server (cleartext, prior knowledge): /slow/* answers after `slowMs`; /pushed pushes /style.css. */
  | { id: number; op: 'h2-listen'; port: number; slowMs: number; bodyBytes: number }
  /** GETs every path at once on one HTTP/2 session; resolves with when each response ended. */
  | { id: number; op: 'h2-get'; host: string; port: number; paths: string[] }
  /** Connects with TLS, logs session keys to `keylog` (for tshark), and sends `request` once secure. */
  | { id: number; op: 'tls-connect'; host: string; port: number; conn: string; maxVersion: tls.SecureVersion; keylog: string; request: string };

const now = () => performance.timeOrigin + performance.now();
const sockets = new Map<string, net.Socket>();
const listeners = new Map<number, net.Server>();
const datagramSockets = new Map<string, dgram.Socket>();
let accepted = 0;

function send(message: object): void {
  process.stdout.write(`${JSON.stringify({ ...message, at: now() })}\n`);
}

function watch(conn: string, socket: net.Socket | tls.TLSSocket): void {
  sockets.set(conn, socket);
  socket.on('data', (chunk) => send({ event: 'data', conn, bytes: chunk.length }));
  socket.on('end', () => send({ event: 'end', conn }));
  socket.on('close', () => send({ event: 'close', conn }));
  socket.on('error', (error) => send({ event: 'error', conn, message: error.message }));
}

function socketOf(conn: string): net.Socket {
  const socket = sockets.get(conn);
  if (!socket) throw new Error(`no connection "${conn}"`);
  return socket;
}

async function handle(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'listen': {
      const server = net.createServer({
        allowHalfOpen: command.allowHalfOpen ?? false,
        pauseOnConnect: command.pauseOnConnect ?? false,
      });
      server.on('connection', (socket) => {
        const conn = `accepted-${++accepted}`;
        watch(conn, socket);
        send({ event: 'accepted', conn, port: command.port, remotePort: socket.remotePort });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(command.port, '0.0.0.0', resolve);
      });
      listeners.set(command.port, server);
      return { port: command.port };
    }
    case 'connect': {
      const socket = net.connect({ host: command.host, port: command.port, noDelay: command.noDelay ?? false });
      watch(command.conn, socket);
      socket.once('connect', () => send({ event: 'connected', conn: command.conn, localPort: socket.localPort }));
      return { conn: command.conn };
    }
    case 'write': {
      const socket = socketOf(command.conn);
      await new Promise<void>((resolve, reject) =>
        socket.write(Buffer.alloc(command.bytes, 0x61), (error) => (error ? reject(error) : resolve())),
      );
      return { bytes: command.bytes };
    }
    case 'resume':
      socketOf(command.conn).resume();
      return {};
    case 'end':
      socketOf(command.conn).end();
      return {};
    case 'destroy':
      socketOf(command.conn).destroy();
      return {};
    case 'close-listener':
      listeners.get(command.port)?.close();
      return {};
    case 'h2-listen': {
      const server = http2.createServer();
      server.on('stream', (stream, headers) => {
        const path = String(headers[':path']);
        const answer = () => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 200, 'content-type': 'text/plain' });
          stream.end(Buffer.alloc(command.bodyBytes, 0x68));
        };
        if (path === '/pushed') {
          stream.pushStream({ ':path': '/style.css' }, (error, push) => {
            if (!error) {
              push.respond({ ':status': 200, 'content-type': 'text/css' });
              push.end('body{}');
            }
          });
        }
        if (path.startsWith('/slow')) setTimeout(answer, command.slowMs);
        else answer();
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(command.port, '0.0.0.0', resolve);
      });
      return { port: command.port };
    }
    case 'h2-get': {
      const session = http2.connect(`http://${command.host}:${command.port}`);
      const started = now();
      const pushed: string[] = [];
      session.on('stream', (_push, headers) => pushed.push(String(headers[':path'])));
      const results = await Promise.all(
        command.paths.map(
          (path) =>
            new Promise<{ path: string; bytes: number; endedMs: number; streamId: number }>((resolve, reject) => {
              const request = session.request({ ':path': path });
              let bytes = 0;
              request.on('data', (chunk: Buffer) => (bytes += chunk.length));
              request.on('end', () => resolve({ path, bytes, endedMs: Math.round(now() - started), streamId: request.id ?? -1 }));
              request.on('error', reject);
              request.end();
            }),
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      session.close();
      return { results, pushed };
    }
    case 'tls-listen': {
      const server = tls.createServer({ cert: readFileSync(command.cert), key: readFileSync(command.key), minVersion: 'TLSv1.2' }, (socket) => {
        const conn = `accepted-${++accepted}`;
        watch(conn, socket);
        send({ event: 'accepted', conn, port: command.port, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n'));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(command.port, '0.0.0.0', resolve);
      });
      return { port: command.port };
    }
    case 'tls-connect': {
      const socket = tls.connect({ host: command.host, port: command.port, rejectUnauthorized: false, maxVersion: command.maxVersion, minVersion: 'TLSv1.2' });
      socket.on('keylog', (line) => appendFileSync(command.keylog, line));
      watch(command.conn, socket);
      socket.once('secureConnect', () => {
        send({ event: 'secure', conn: command.conn, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.write(command.request);
      });
      return { conn: command.conn };
    }
    case 'udp-open': {
      const { sock } = command;
      const socket = dgram.createSocket({ type: command.family === 6 ? 'udp6' : 'udp4', reuseAddr: true });
      datagramSockets.set(sock, socket);
      socket.on('message', (data, from) => send({ event: 'datagram', sock, bytes: data.length, from: from.address }));
      socket.on('error', (error: NodeJS.ErrnoException) => send({ event: 'udp-error', sock, code: error.code, message: error.message }));
      await new Promise<void>((resolve) => socket.bind(command.port ?? 0, resolve));
      if (command.join) socket.addMembership(command.join.group, command.join.iface);
      if (command.multicastInterface) socket.setMulticastInterface(command.multicastInterface);
      if (command.connect) await new Promise<void>((resolve) => socket.connect(command.connect!.port, command.connect!.host, resolve));
      return { port: socket.address().port };
    }
    case 'udp-send': {
      const socket = datagramSockets.get(command.sock);
      if (!socket) throw new Error(`no datagram socket "${command.sock}"`);
      const payload = Buffer.alloc(command.bytes, 0x62);
      await new Promise<void>((resolve, reject) => {
        const done = (error: Error | null) => (error ? reject(error) : resolve());
        if (command.host) socket.send(payload, command.port, command.host, done);
        else socket.send(payload, done);
      });
      return { bytes: command.bytes };
    }
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  handle(command).then(
    (result) => send({ id: command.id, ok: true, result }),
    (error: Error) => send({ id: command.id, ok: false, error: error.message }),
  );
});
process.stdin.on('end', () => process.exit(0));
send({ event: 'ready', pid: process.pid });
