import { section } from '../claim.ts';

export const dnsClaims = [
  ...section('DNS 协议 › DNS 查询流程（完整示例）', [
    ['dns.client.hosts-file', 'The client consults /etc/hosts, and a match ends the lookup without any DNS query.', '客户端查询 /etc/hosts，命中则直接返回，不发出 DNS 查询。'],
    ['dns.client.linux-no-cache', 'Linux and Mac have no system-level DNS cache: it is managed by the applications.', 'Linux/Mac 无系统级 DNS 缓存（由应用管理）。'],
    ['dns.client.order', 'The client checks its caches first and /etc/hosts after them.', '客户端先查缓存，再查 /etc/hosts。'],
    ['dns.client.browser-cache', 'The browser first looks in its own DNS cache; on a hit it returns the IP directly and the lookup ends; after a resolution the browser caches the result.', '浏览器先查看本地缓存（浏览器 DNS 缓存），如果命中则直接返回 IP，流程结束；解析完成后浏览器缓存结果。'],
    ['dns.client.os-caches-result', 'After a resolution the user\'s operating system caches the result, and a later lookup is answered from the operating system\'s cache.', '用户操作系统缓存结果，之后的查询由本地 DNS 缓存（操作系统缓存）应答。'],
    ['dns.client.windows-cache', 'On Windows the local DNS cache (the operating-system cache) is queried with ipconfig /displaydns.', '查询本地 DNS 缓存（操作系统缓存）：Windows 上为 ipconfig /displaydns。'],
    ['dns.resolver.iterative', 'The recursive resolver asks a root server where www.google.com\'s authoritative server is, then the TLD (.com) server where google.com\'s authoritative server is, then google.com\'s authoritative server what www.google.com\'s IP is.', '递归解析器先问根服务器“www.google.com 的权威服务器在哪里？”，再问顶级域（.com）服务器“google.com 的权威服务器在哪里？”，最后问 google.com 的权威服务器“www.google.com 的 IP 是多少？”。'],
    ['dns.root.thirteen', 'There are 13 root servers, a.root-servers.net to m.root-servers.net.', '全球有 13 个根服务器（a-m.root-servers.net）。'],
    ['dns.resolver.cache', 'The resolver caches the answer, and a repeated query is answered from the cache.', '本地解析器缓存结果，重复查询直接由缓存应答。'],
    ['dns.resolver.public-examples', 'Examples of local DNS resolvers (recursive resolvers) are 8.8.8.8 (Google DNS) and 1.1.1.1 (Cloudflare).', '本地 DNS 解析器（Recursive Resolver）例：8.8.8.8（Google DNS），1.1.1.1（CloudFlare）。'],
    ['dns.resolver.referrals', 'The root server replies “ask the top-level domain server (the .com server)”, and the top-level domain server replies “ask google.com\'s authoritative server”.', '根域名服务器回复“问顶级域名服务器（.com 服务器）去”；顶级域名服务器回复“问 google.com 的权威服务器去”。'],
  ]),
];

export const httpClaims = [
  ...section('HTTP 协议', [
    ['http.stateless', 'HTTP is a stateless request-response protocol over TCP or TLS.', 'HTTP 是运行在 TCP（或 TLS）之上的无状态请求-响应协议。'],
  ]),
  ...section('HTTP 协议 › HTTP/1.1', [
    ['http.h1.keep-alive', 'HTTP/1.1 keeps connections open by default and reuses one TCP connection for several requests.', 'HTTP/1.1 默认持久连接，同一 TCP 连接可处理多个请求。'],
    ['http.h1.pipelining', 'HTTP/1.1 pipelining sends several requests back to back; responses come in order (head-of-line blocking).', '管线化可连续发送多个请求，但响应按序返回（队头阻塞）。'],
    ['http.h1.chunked', 'Chunked transfer encoding streams a body of unknown length.', '分块传输编码支持流式传输，无需提前知道长度。'],
    ['http.h1.host', 'The Host header lets one IP serve several virtual hosts.', 'Host 头支持单 IP 多域名。'],
    ['http.h1.range', 'Range requests return partial content (206) for resumable downloads.', 'Range 请求返回部分内容（206），支持断点续传。'],
    ['http.h1.cache-validators', 'ETag and Last-Modified let a client revalidate and get 304 Not Modified.', 'ETag 和 Last-Modified 支持条件请求，返回 304。'],
  ]),
  ...section('HTTP 协议 › HTTP/2', [
    ['http.h2.binary-framing', 'HTTP/2 splits messages into binary frames.', 'HTTP/2 将报文拆分为二进制帧。'],
    ['http.h2.multiplexing', 'HTTP/2 carries many requests and responses in parallel on one TCP connection.', 'HTTP/2 在单个 TCP 连接上并行传输多个请求和响应。'],
    ['http.h2.hpack', 'HPACK compresses headers with a static table, a dynamic table and Huffman coding.', 'HPACK 用静态表、动态表和 Huffman 编码压缩头部。'],
    ['http.h2.tcp-hol', 'HTTP/2 removes application-level head-of-line blocking but a lost TCP segment still stalls every stream.', 'HTTP/2 消除了应用层队头阻塞，但 TCP 丢包仍会阻塞所有流。'],
    ['http.h2.server-push', 'HTTP/2 servers can push resources the client did not request.', 'HTTP/2 服务器可主动推送资源。'],
    ['http.h2.push-disabled', 'HTTP/2 server push is mostly disabled in practice.', 'HTTP/2 服务端推送（服务器可主动推送资源到客户端）实践中多禁用。'],
    ['http.h2.priority', 'HTTP/2 lets different requests be given priorities, optimising the order in which resources load.', 'HTTP/2 可为不同请求设置优先级，优化资源加载顺序。'],
    ['http.h2.flow-control', 'HTTP/2 has flow control.', 'HTTP/2 支持流量控制。'],
  ]),
  ...section('HTTP 协议 › HTTP/3', [
    ['http.h3.quic', 'HTTP/3 is based on QUIC/UDP, replacing TCP and thereby completely eliminating TCP\'s head-of-line blocking.', 'HTTP/3 基于 QUIC/UDP，替代 TCP，彻底消除 TCP 队头阻塞。'],
    ['http.h3.zero-rtt', 'HTTP/3 sends data on the second round trip of a first connection and in 0-RTT on later ones.', 'HTTP/3 首次连接第二个 RTT 即可传输数据，后续支持 0-RTT。'],
  ]),
];

export const tlsClaims = [
  ...section('HTTPS 协议 › 1. HTTPS的基本工作原理', [
    ['tls.https.order', 'HTTPS opens a TCP connection, then performs the SSL/TLS handshake negotiating the cipher and keys, then communicates encrypted with the negotiated keys, and when communication ends, closes the SSL/TLS connection and the TCP connection.', 'HTTPS 先建立 TCP 连接，再进行 SSL/TLS 握手、协商加密算法和密钥，然后使用协商好的密钥加密通信，通信结束后关闭 SSL/TLS 连接和 TCP 连接。'],
  ]),
  ...section('HTTPS 协议 › 2. SSL/TLS协议的作用', [
    ['tls.properties', 'SSL/TLS provides encryption (against eavesdropping), authentication of both communicating parties (against man-in-the-middle attacks) and integrity checking (data is not tampered with in transit).', 'SSL/TLS 提供加密（防止窃听）、身份验证（验证通信双方的身份，防止中间人攻击）和完整性校验（确保数据在传输过程中不被篡改）。'],
  ]),
  ...section('HTTPS 协议 › 握手过程', [
    ['tls.v12.two-rtt', 'A full TLS 1.2 handshake takes two round trips before application data.', 'TLS 1.2 完整握手需要 2 个 RTT 才能传输应用数据。'],
    ['tls.v12.messages', 'TLS 1.2 exchanges ClientHello; ServerHello, Certificate, ServerKeyExchange, ServerHelloDone; ClientKeyExchange, ChangeCipherSpec, Finished; ChangeCipherSpec, Finished.', 'TLS 1.2 依次交换 ClientHello；ServerHello、Certificate、ServerKeyExchange、ServerHelloDone；ClientKeyExchange、ChangeCipherSpec、Finished；ChangeCipherSpec、Finished。'],
    ['tls.v12.random-32', 'The client and server randoms are 32 bytes.', '客户端与服务端随机数均为 32 字节。'],
    ['tls.v12.compression-empty', 'The ClientHello\'s supported compression methods are usually empty (compression is a security risk).', 'ClientHello 中支持的压缩方法通常为空（压缩有安全风险）。'],
    ['tls.v12.hello-extensions', 'The ClientHello carries extensions such as Server Name Indication (SNI) and the supported elliptic curves.', 'ClientHello 携带扩展，如 Server Name Indication（SNI）、支持的椭圆曲线等。'],
    ['tls.v12.client-hello-offers', 'The TLS 1.2 ClientHello carries the supported TLS versions (e.g. TLS 1.2) and the supported cipher suites (e.g. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384).', 'TLS 1.2 的 ClientHello 携带支持的 TLS 版本（如 TLS 1.2）和支持的密码套件（如 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384）。'],
    ['tls.v12.random-keys', 'The ClientHello\'s 32-byte random is used to generate the session keys.', 'ClientHello 的随机数为 32 字节，用于生成会话密钥。'],
    ['tls.v12.server-hello-fields', 'The TLS 1.2 ServerHello carries the chosen TLS version, the server random, the chosen cipher suite and a session ID (optional).', 'TLS 1.2 的 ServerHello 包含选择的 TLS 版本、服务器随机数、选择的密码套件、会话 ID（可选）。'],
    ['tls.certificate.chain', 'The Certificate message is the server\'s certificate chain, in the TLS 1.2 and the TLS 1.3 handshakes alike.', 'Certificate 为服务器证书链（TLS 1.2 与 TLS 1.3 握手中均如此）。'],
    ['tls.v12.key-exchange-params', 'ServerKeyExchange carries the server\'s key-exchange parameters (e.g. an ECDHE public key), and ClientKeyExchange the client\'s key-exchange parameters (e.g. an ECDHE public key).', 'ServerKeyExchange 为服务器密钥交换参数（如 ECDHE 公钥），ClientKeyExchange 为客户端密钥交换参数（如 ECDHE 公钥）。'],
    ['tls.v12.server-hello-done', 'ServerHelloDone indicates that the server has finished sending its messages.', 'ServerHelloDone 表示服务器消息发送完毕。'],
    ['tls.v12.change-cipher-spec', 'ChangeCipherSpec notifies the server (when the client sends it) or the client (when the server sends it) that subsequent messages will be encrypted with the negotiated keys.', 'ChangeCipherSpec 通知服务器（客户端发送时）或客户端（服务器发送时）后续消息将使用协商的密钥加密。'],
    ['tls.finished.verifies-handshake', 'The Finished message verifies the integrity of the handshake messages (in TLS 1.2 and TLS 1.3).', 'Finished 消息验证握手消息的完整性（TLS 1.2 与 TLS 1.3）。'],
    ['tls.v13.one-rtt', 'A full TLS 1.3 handshake takes one round trip; the server sends ServerHello, Certificate and Finished in its first flight.', 'TLS 1.3 完整握手仅需 1 个 RTT，服务端首轮即发送 ServerHello、Certificate、Finished。'],
    ['tls.v13.key-share', 'In TLS 1.3 the ClientHello carries a KeyShare (the client\'s key-exchange parameters, e.g. an X25519 public key), and the ServerHello carries the server\'s KeyShare.', 'TLS 1.3 的 ClientHello 携带 KeyShare（客户端的密钥交换参数，如 X25519 公钥），ServerHello 携带 KeyShare（服务器的密钥交换参数，如 X25519 公钥）。'],
    ['tls.v13.aead-only', 'TLS 1.3 only offers AEAD cipher suites.', 'TLS 1.3 仅支持 AEAD 密码套件。'],
    ['tls.v13.zero-rtt', 'TLS 1.3 resumption can carry early data in the first flight; it lacks forward secrecy and can be replayed.', 'TLS 1.3 会话恢复可在首轮发送早期数据，不具备前向安全且可能被重放。'],
    ['tls.v13.version-fields', 'In TLS 1.3 the ClientHello\'s supported TLS version is TLS 1.3, and the ServerHello\'s chosen TLS version is TLS 1.3.', 'TLS 1.3 的 ClientHello 中支持的 TLS 版本为 TLS 1.3，ServerHello 中选择的 TLS 版本为 TLS 1.3。'],
    ['tls.v13.signature-algorithms', 'The TLS 1.3 ClientHello carries the supported signature algorithms, such as RSA-PSS and ECDSA.', 'TLS 1.3 的 ClientHello 携带支持的签名算法，如 RSA-PSS、ECDSA 等。'],
    ['tls.v13.client-finished', 'In TLS 1.3 the client then verifies the server certificate, computes the session keys and sends a Finished message to verify the integrity of the handshake.', 'TLS 1.3 中客户端随后验证服务器证书、计算会话密钥，并发送 Finished 消息验证握手完整性。'],
  ]),
];
