/**
 * A program that holds real node:net sockets inside a network namespace, driven by JSON lines
 * on stdin. Each command gets a reply `{id, ok, result|error}`; socket activity is reported as
 * events `{event, conn, at, ...}` on stdout. Started by src/resources/socket-agent.ts.
 */
import { createInterface } from 'node:readline';
import net from 'node:net';

type Command =
  | { id: number; op: 'listen'; port: number; allowHalfOpen?: boolean; pauseOnConnect?: boolean }
  | { id: number; op: 'connect'; host: string; port: number; conn: string; noDelay?: boolean }
  | { id: number; op: 'write'; conn: string; bytes: number }
  | { id: number; op: 'resume' | 'end' | 'destroy'; conn: string }
  | { id: number; op: 'close-listener'; port: number };

const now = () => performance.timeOrigin + performance.now();
const sockets = new Map<string, net.Socket>();
const listeners = new Map<number, net.Server>();
let accepted = 0;

function send(message: object): void {
  process.stdout.write(`${JSON.stringify({ ...message, at: now() })}\n`);
}

function watch(conn: string, socket: net.Socket): void {
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
