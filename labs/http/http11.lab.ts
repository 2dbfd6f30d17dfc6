/**
 * Lab: HTTP/1.1 on the wire, against a real nginx: persistent connections, pipelining and its
 * head-of-line blocking, chunked encoding, virtual hosts, ranges and cache validators.
 *
 * Starts: nginx (Debian's) with two virtual hosts, a static file, gzip on, and a backend that
 * answers after 500 ms, on one Docker network of the run.
 *
 * Does: speaks HTTP/1.1 over raw node:net sockets: two requests one after the other on one
 * connection; two requests written at once (a slow one, then a fast one); a gzip-accepting GET;
 * the same request with Host a.test and b.test; a Range request; conditional requests with the
 * ETag and Last-Modified the server gave.
 *
 * Observes: the exact bytes of each response (status line, headers, chunk framing, body), when they
 * arrived, and nginx's access log with the connection number and the request's place on it.
 */
import net from 'node:net';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { execIn } from '../../src/resources/docker.ts';
import { startNginxStack } from '../../src/systems/nginx-stack.ts';

export interface Response {
  status: number;
  headers: Record<string, string>;
  /** The body as it travelled (chunk framing included when chunked). */
  raw: string;
  /** Milliseconds from writing the request(s) to this response's last byte. */
  atMs: number;
  /** Sizes of the chunks, when the body was chunked (the last is 0). */
  chunks?: number[];
}

/** Splits a byte stream into HTTP/1.1 responses, using Content-Length or chunked framing. */
export function parseResponses(text: string, times: number[] = []): Response[] {
  const responses: Response[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [statusLine, ...lines] = text.slice(at, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    let bodyEnd = end + 4;
    const chunks: number[] = [];
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const sizeEnd = text.indexOf('\r\n', bodyEnd);
        const size = Number.parseInt(text.slice(bodyEnd, sizeEnd), 16);
        if (sizeEnd < 0 || Number.isNaN(size)) break;
        chunks.push(size);
        bodyEnd = sizeEnd + 2 + size + 2;
        if (size === 0) break;
      }
    } else bodyEnd += Number(headers['content-length'] ?? 0);
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, raw: text.slice(end + 4, bodyEnd), atMs: times[responses.length] ?? 0, ...(chunks.length ? { chunks } : {}) });
    at = bodyEnd;
  }
  return responses;
}

/**
 * Writes each request on one connection (all at once, or each after the previous response) and
 * collects the responses with the time their last byte arrived. `latin1` keeps bytes as they are.
 */
async function exchange(host: string, requests: string[], mode: 'together' | 'one-by-one'): Promise<{ responses: Response[]; connectionClosedEarly: boolean }> {
  const socket = net.connect(8080, host);
  socket.setEncoding('latin1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = performance.now();
  let text = '';
  let closed = false;
  const times: number[] = [];
  socket.on('close', () => (closed = true));
  const responsesSoFar = () => parseResponses(text).length;
  const next = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response ${count} within 10 s`)), 10_000);
      const check = () => {
        while (times.length < responsesSoFar()) times.push(Math.round(performance.now() - started));
        if (responsesSoFar() >= count || closed) {
          clearTimeout(timer);
          socket.off('data', onData);
          resolve();
        }
      };
      const onData = (chunk: string) => ((text += chunk), check());
      socket.on('data', onData);
      check();
    });
  if (mode === 'together') {
    socket.write(requests.join(''));
    await next(requests.length);
  } else {
    for (const [i, request] of requests.entries()) {
      if (closed) break;
      socket.write(request);
      await next(i + 1);
    }
  }
  const closedEarly = closed;
  socket.destroy();
  return { responses: parseResponses(text, times), connectionClosedEarly: closedEarly };
}

const get = (path: string, headers: Record<string, string> = {}, host = 'a.test') =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

const shown = (title: string, request: string, responses: Response[]): Evidence => ({
  kind: 'command',
  title,
  command: request.replaceAll('\r\n', '\\r\\n '),
  output: responses.map((r) => `HTTP ${r.status} at ${r.atMs} ms\n${Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${r.raw.slice(0, 200)}`).join('\n---\n'),
});

export function judgeKeepAlive(responses: Response[], closedEarly: boolean, log: string[]): ClaimResult {
  const connections = [...new Set(log.map((l) => l.split(' ')[0]))];
  const positions = log.map((l) => l.split(' ')[1]);
  const observed = { responses: responses.map((r) => r.status), serverClosedEarly: closedEarly, connectionHeader: responses[0]?.headers.connection ?? '(none)', nginxConnections: connections, requestNumbersOnConnection: positions };
  if (!log.length) return notObserved('http.h1.keep-alive', { en: "nginx's access log holds no line for the two requests, so which connection served each is unknown.", zh: 'nginx 的访问日志中没有这两个请求的记录，无从得知它们各由哪条连接处理。' }, observed);
  const holds = responses.length === 2 && !closedEarly && connections.length === 1 && positions.join(',') === '1,2';
  return {
    id: 'http.h1.keep-alive',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Without asking for it, the client sent a second request on the same connection after the first response, and nginx served it as request 2 of connection ${connections[0]} (Connection: ${observed.connectionHeader}).`
      : `The connection was not reused: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `客户端没有特意要求，就在第一个响应之后复用同一连接发出了第二个请求，nginx 将其记为连接 ${connections[0]} 上的第 2 个请求（Connection: ${observed.connectionHeader}）。`
      : `连接没有被复用：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'table', title: "nginx's log: connection number and the request's place on it", columns: ['connection', 'request on it', 'request'], rows: log.map((l) => l.split(' ').slice(0, 2).concat(l.split(' ').slice(2).join(' '))) }],
  };
}

export function judgePipelining(responses: Response[], slowMs: number): ClaimResult {
  const [slow, fast] = responses;
  const observed = { order: responses.map((r) => r.raw.trim()), slowArrivedMs: slow?.atMs, fastArrivedMs: fast?.atMs, backendDelayMs: slowMs };
  const inOrder = slow?.raw.trim() === 'slow' && fast?.raw.trim() === 'fast';
  const blocked = !!fast && fast.atMs >= slowMs;
  return {
    id: 'http.h1.pipelining',
    verdict: inOrder && blocked ? 'confirmed' : 'refuted',
    summary:
      inOrder && blocked
        ? `Both requests were written at once; the responses came back in request order, and the fast one, ready at once, arrived only after the slow one (${fast!.atMs} ms, behind a ${slowMs} ms backend): head-of-line blocking.`
        : `Pipelined responses: ${JSON.stringify(observed)}.`,
    summaryZh:
      inOrder && blocked
        ? `两个请求一次性写出；响应按请求顺序返回，本可立即就绪的快请求直到慢请求之后才到达（${fast!.atMs} ms，慢请求的后端耗时 ${slowMs} ms）：这就是队头阻塞。`
        : `管线化请求的响应：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'bars', title: 'When each pipelined response arrived (ms)', bars: responses.map((r) => ({ label: r.raw.trim(), value: r.atMs })) }],
  };
}

export function judgeChunked(response: Response | undefined): ClaimResult {
  const chunks = response?.chunks ?? [];
  const observed = { transferEncoding: response?.headers['transfer-encoding'], contentLength: response?.headers['content-length'] ?? '(none)', contentEncoding: response?.headers['content-encoding'], chunkSizes: chunks };
  const holds = observed.transferEncoding === 'chunked' && observed.contentLength === '(none)' && chunks.at(-1) === 0;
  return {
    id: 'http.h1.chunked',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Compressing on the fly, nginx could not know the length in advance: it sent Transfer-Encoding: chunked and no Content-Length, the body framed as chunks of ${chunks.slice(0, -1).join(', ')} bytes and a closing 0.`
      : `The response was not chunked: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `nginx 边压缩边发送，无法预先知道长度：响应带 Transfer-Encoding: chunked、不带 Content-Length，响应体被切成 ${chunks.slice(0, -1).join(', ')} 字节的分块，最后以一个大小为 0 的分块结束。`
      : `响应没有采用分块传输：${JSON.stringify(observed)}。`,
    observed,
    evidence: [],
  };
}

export function judgeHost(a: Response | undefined, b: Response | undefined): ClaimResult {
  const observed = { aTest: a?.raw.trim(), bTest: b?.raw.trim() };
  const holds = observed.aTest === 'site a' && observed.bTest === 'site b';
  return {
    id: 'http.h1.host',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? 'One address and port served "site a" for Host: a.test and "site b" for Host: b.test.' : `Host did not select the site: ${JSON.stringify(observed)}.`,
    summaryZh: holds ? '同一个地址和端口，对 Host: a.test 返回 "site a"，对 Host: b.test 返回 "site b"。' : `Host 头没有决定由哪个站点响应：${JSON.stringify(observed)}。`,
    observed,
    evidence: [],
  };
}

export function judgeRange(full: Response | undefined, part: Response | undefined): ClaimResult {
  const observed = { status: part?.status, contentRange: part?.headers['content-range'], body: part?.raw, fileStart: full?.raw.slice(0, 10), acceptRanges: full?.headers['accept-ranges'] };
  const holds = part?.status === 206 && part.raw === full?.raw.slice(0, 10) && /^bytes 0-9\/\d+$/.test(observed.contentRange ?? '');
  return {
    id: 'http.h1.range',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `Range: bytes=0-9 got 206 Partial Content with Content-Range ${observed.contentRange} and exactly the file's first 10 bytes.` : `The range request: ${JSON.stringify(observed)}.`,
    summaryZh: holds ? `Range: bytes=0-9 得到 206 Partial Content，Content-Range 为 ${observed.contentRange}，内容恰好是文件的前 10 个字节。` : `范围请求的结果：${JSON.stringify(observed)}。`,
    observed,
    evidence: [],
  };
}

export function judgeValidators(first: Response | undefined, byEtag: Response | undefined, byDate: Response | undefined): ClaimResult {
  const observed = { etag: first?.headers.etag, lastModified: first?.headers['last-modified'], ifNoneMatch: byEtag?.status, ifModifiedSince: byDate?.status, bodyBytesOn304: byEtag?.raw.length };
  const holds = !!observed.etag && !!observed.lastModified && byEtag?.status === 304 && byDate?.status === 304 && byEtag.raw.length === 0;
  return {
    id: 'http.h1.cache-validators',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `The file came with ETag ${observed.etag} and Last-Modified; asking again with If-None-Match or If-Modified-Since got 304 Not Modified and no body.` : `Validators: ${JSON.stringify(observed)}.`,
    summaryZh: holds ? `文件响应带有 ETag ${observed.etag} 和 Last-Modified；再次请求时带上 If-None-Match 或 If-Modified-Since，都得到 304 Not Modified，且没有响应体。` : `缓存验证器：${JSON.stringify(observed)}。`,
    observed,
    evidence: [],
  };
}

const SLOW_MS = 500;

export default defineLab({
  id: 'http-1-1',
  title: 'HTTP/1.1 on the wire: persistent connections, pipelining, chunks, virtual hosts, ranges, validators',
  topic: 'http',
  claims: ['http.h1.keep-alive', 'http.h1.pipelining', 'http.h1.chunked', 'http.h1.host', 'http.h1.range', 'http.h1.cache-validators'],
  requires: ['docker'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'nginx with virtual hosts a.test and b.test, a static file, gzip, and a backend that answers after 500 ms.',
    does: 'Speaks HTTP/1.1 over raw sockets: sequential and pipelined requests, gzip, two Host headers, a Range, conditional requests.',
    observes: 'The bytes and arrival times of every response, and nginx\'s log of connection numbers.',
    zh: {
      title: '报文层面的 HTTP/1.1：持久连接、管线化、分块传输、虚拟主机、范围请求、验证器',
      starts: 'nginx，配置了虚拟主机 a.test 和 b.test、一个静态文件、gzip，以及一个 500 ms 后才响应的后端。',
      does: '直接用原始套接字收发 HTTP/1.1：顺序请求与管线化请求、gzip、两个 Host 头、一个 Range 请求、条件请求。',
      observes: '每个响应的原始字节和到达时间，以及 nginx 日志中记录的连接编号。',
    },
  },
  async run(ctx) {
    ctx.step('starting nginx');
    const conf = (a: Record<string, string>) => `worker_processes 1;
pid /run/nginx.pid;
events {}
http {
  log_format conn '$connection $connection_requests $request';
  access_log /var/log/nginx/access.log conn;
  gzip on; gzip_min_length 1; gzip_types text/plain;
  types { text/plain txt; }
  server {
    listen 8080 default_server;
    server_name a.test;
    location = /health { access_log off; return 200 "ok\\n"; }
    location = / { return 200 "site a\\n"; }
    location = /fast { return 200 "fast\\n"; }
    location = /slow { proxy_pass http://${a.slow}:8000; }
    location /files/ { root /srv; }
  }
  server {
    listen 8080;
    server_name b.test;
    location = / { return 200 "site b\\n"; }
  }
}
`;
    const stack = await startNginxStack(ctx.scope, ctx.runId, { backends: [{ name: 'slow', delayMs: SLOW_MS }], clients: { c0: 0 }, conf });
    ctx.environment.nginx = stack.version;
    // The backend answers with its name, so /slow's body is "slow".
    await execIn(stack.nginx.id, ['sh', '-c', 'mkdir -p /srv/files && seq 1 2000 > /srv/files/numbers.txt']);
    const host = stack.nginx.address;

    ctx.step('two requests on one connection');
    await execIn(stack.nginx.id, ['sh', '-c', ': > /var/log/nginx/access.log']);
    const sequential = await exchange(host, [get('/'), get('/fast')], 'one-by-one');
    const log = (await execIn(stack.nginx.id, ['cat', '/var/log/nginx/access.log'])).stdout.split('\n').filter(Boolean);

    ctx.step('pipelining');
    const pipelined = await exchange(host, [get('/slow'), get('/fast')], 'together');

    ctx.step('chunked, Host, Range, validators');
    const [gzipped] = (await exchange(host, [get('/files/numbers.txt', { 'Accept-Encoding': 'gzip' })], 'one-by-one')).responses;
    const [a] = (await exchange(host, [get('/', {}, 'a.test')], 'one-by-one')).responses;
    const [b] = (await exchange(host, [get('/', {}, 'b.test')], 'one-by-one')).responses;
    const [full] = (await exchange(host, [get('/files/numbers.txt')], 'one-by-one')).responses;
    const [part] = (await exchange(host, [get('/files/numbers.txt', { Range: 'bytes=0-9' })], 'one-by-one')).responses;
    const [byEtag] = (await exchange(host, [get('/files/numbers.txt', { 'If-None-Match': full?.headers.etag ?? '' })], 'one-by-one')).responses;
    const [byDate] = (await exchange(host, [get('/files/numbers.txt', { 'If-Modified-Since': full?.headers['last-modified'] ?? '' })], 'one-by-one')).responses;

    const printable = (r: Response) => ({ ...r, raw: r.raw.replace(/[^\x20-\x7e\r\n]/g, '.') });
    const kept = keptJson(ctx, 'http11.json', { sequential, log, pipelined, gzipped, a, b, full, part, byEtag, byDate }, 'every response as parsed, with the access log (JSON)');
    return [
      withEvidence(judgeKeepAlive(sequential.responses, sequential.connectionClosedEarly, log), ...kept, shown('Two requests, one after the other, on one socket', get('/') + get('/fast'), sequential.responses)),
      withEvidence(judgePipelining(pipelined.responses, SLOW_MS), shown('Two requests written at once', get('/slow') + get('/fast'), pipelined.responses)),
      withEvidence(judgeChunked(gzipped), shown('A gzip-accepting GET', get('/files/numbers.txt', { 'Accept-Encoding': 'gzip' }), gzipped ? [printable(gzipped)] : [])),
      withEvidence(judgeHost(a, b), shown('Host: a.test', get('/', {}, 'a.test'), a ? [a] : []), shown('Host: b.test', get('/', {}, 'b.test'), b ? [b] : [])),
      withEvidence(judgeRange(full, part), shown('Range: bytes=0-9', get('/files/numbers.txt', { Range: 'bytes=0-9' }), part ? [part] : [])),
      withEvidence(
        judgeValidators(full, byEtag, byDate),
        shown('If-None-Match', get('/files/numbers.txt', { 'If-None-Match': full?.headers.etag ?? '' }), byEtag ? [byEtag] : []),
        shown('If-Modified-Since', get('/files/numbers.txt', { 'If-Modified-Since': full?.headers['last-modified'] ?? '' }), byDate ? [byDate] : []),
      ),
    ];
  },
});
