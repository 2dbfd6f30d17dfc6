import { section } from '../claim.ts';

export const udpClaims = [
  ...section('UDP 协议', [
    ['udp.service.minimal', 'UDP only encapsulates and sends datagrams, guaranteeing neither delivery nor order.', 'UDP 只负责数据报的封装和传输，不保证可靠性和顺序。'],
  ]),
  ...section('UDP 协议 › 头部结构', [
    ['udp.header.fields', 'The UDP header is a 16-bit source port, destination port, length and checksum.', 'UDP 头部为 16 位源端口、目的端口、总长度和校验和。'],
  ]),
  ...section('UDP 协议 › 关键特性', [
    ['udp.connectionless', 'UDP sends datagrams without any handshake.', 'UDP 无需握手，直接发送数据报。'],
    ['udp.unreliable', 'UDP has no retransmission, ordering or congestion control: on the same lossy link UDP loses datagrams where TCP delivers every byte.', 'UDP 无重传、无顺序保证、无拥塞控制：同一条丢包链路上 UDP 会丢数据报，而 TCP 交付全部字节。'],
    ['udp.header.size', 'The UDP header is 8 bytes, far smaller than TCP\'s 20 to 60.', 'UDP 头部仅 8 字节，远小于 TCP 的 20-60 字节。'],
    ['udp.boundaries', 'Each datagram arrives whole: message boundaries are preserved.', '每个数据报完整到达，保留消息边界。'],
    ['udp.multicast', 'UDP supports multicast and broadcast: one datagram reaches several receivers.', 'UDP 支持多播/广播，一个数据报可到达多个接收者。'],
    ['udp.realtime', 'UDP avoids TCP\'s retransmission delay and head-of-line blocking.', 'UDP 没有 TCP 的重传延迟和队头阻塞问题。'],
    ['udp.checksum', 'The UDP checksum is optional over IPv4 (zero means none) and mandatory over IPv6.', 'UDP 校验和在 IPv4 中可选（为 0 表示不校验），在 IPv6 中必须。'],
    ['udp.checksum.detects-corruption', 'Datagram integrity: UDP detects data corruption through its checksum mechanism (optional over IPv4, mandatory over IPv6).', '数据报完整性：UDP 通过校验和机制检测数据损坏（IPv4 可选，IPv6 必须）。'],
  ]),
];

export const quicClaims = [
  ...section('QUIC 协议 › 头部结构', [
    ['quic.header.long-form', 'Long-header packets have the first bit set, a fixed bit, a 2-bit type (Initial, 0-RTT, Handshake, Retry) and a 32-bit version.', '长头部首位为 1，含固定位、2 位包类型（Initial、0-RTT、Handshake、Retry）和 32 位版本号。'],
    ['quic.header.cid-length', 'In the long header the connection-ID length is given by the high 4 bits of the first byte.', '长头部中连接 ID 的长度由第一个字节的高 4 位指定。'],
    ['quic.header.payload-length-16', 'The long header carries a 16-bit Payload Length: the length of the payload data, not counting the header.', '长头部包含 Payload Length（16 位）：负载数据长度（不包括头部）。'],
    ['quic.header.short-form', 'Short-header packets have the first bit clear, a spin bit, a key-phase bit, a 0-20 byte destination connection ID and a 1-4 byte packet number.', '短头部首位为 0，含自旋位、密钥阶段位、0-20 字节目的连接 ID 和 1-4 字节包号。'],
    ['quic.header.tls-in-payload', 'TLS handshake messages travel as encrypted payload: Initial packets carry the ClientHello (under initial keys), Handshake packets the TLS handshake messages (ServerHello, Certificate, Finished, …).', 'TLS 握手消息作为加密的 Payload 传输：Initial 包包含 TLS ClientHello（使用初始密钥加密），Handshake 包包含 TLS 握手消息（ServerHello、Certificate、Finished 等）。'],
    ['quic.header.fixed-bit', 'The fixed bit, second bit of both long and short headers, is always 1.', '长头部和短头部的 Fixed Bit（1 位）固定为 1。'],
    ['quic.header.long-layout', 'The long header is, in order: the first byte, a 32-bit version, the destination connection ID, the source connection ID, a 16-bit payload length and the packet number.', '长头部依次为：首字节、32 位版本号、目标连接 ID、源连接 ID、16 位负载长度、包序号。'],
    ['quic.header.long-pn-length-by-type', 'In the long header the packet number has a variable length, determined by the packet type.', '长头部的包序号为可变长度，长度由包类型决定。'],
    ['quic.header.short-reserved-bits', 'In the short header the spin bit is followed by two reserved bits that must be 0, the key-phase bit, and a final reserved bit.', '短头部中自旋位之后是 2 个必须为 0 的保留位、密钥阶段位，最后是 1 个保留位。'],
    ['quic.header.long-usage', 'The long header is used for connection establishment, version negotiation, 0-RTT data transmission and similar scenarios.', '长头部用于连接建立、版本协商、0-RTT 数据传输等场景。'],
    ['quic.header.type-specific-bits', 'The long header has 4 type-specific bits (Type-Specific Bits).', '长头部包含 Type-Specific Bits（4 位）：类型特定位。'],
    ['quic.header.version-one', 'The long header\'s 32-bit Version field is the QUIC protocol version (e.g. 0x00000001).', '长头部的 Version（32 位）为 QUIC 协议版本（如 0x00000001）。'],
    ['quic.header.zero-rtt-packet', '0-RTT packets contain early application data, encrypted with 0-RTT keys.', '0-RTT 包包含早期应用数据，使用 0-RTT 密钥加密。'],
    ['quic.header.short-one-rtt', 'The short header is used for data transmission on an established connection, and is more compact; short-header packets contain application data, encrypted with 1-RTT keys.', '短头部用于已建立连接的数据传输，头部更紧凑；短头部包包含应用数据，使用 1-RTT 密钥加密。'],
    ['quic.header.spin-bit', 'The short header\'s Spin Bit (1 bit) is used for latency detection.', '短头部的 Spin Bit（1 位）用于延迟检测。'],
    ['quic.header.key-phase', 'The short header\'s Key Phase bit (1 bit) is the key phase, used for key rotation.', '短头部的 Key Phase（1 位）为密钥阶段，用于密钥轮换。'],
  ]),
  ...section('QUIC 协议 › 关键特性', [
    ['quic.transport.udp-userspace', 'QUIC runs over UDP in user space, by default on UDP port 443.', 'QUIC 基于 UDP 在用户态实现，默认使用 UDP 443 端口。'],
    ['quic.tls.built-in', 'QUIC merges the transport and TLS handshakes, reducing round trips, and encrypts all data, the handshake included, except the necessary QUIC header fields.', 'QUIC 将传输层握手与 TLS 握手合并，减少往返次数；除必要的 QUIC 头部字段外，所有数据（包括握手过程）均加密。'],
    ['quic.zero-rtt', '0-RTT data transmission: QUIC supports sending application data in the first packet, further reducing latency.', '0-RTT 数据传输：QUIC 支持首包发送应用数据，进一步降低延迟。'],
    ['quic.streams.no-hol', 'Loss on one QUIC stream does not block the other streams.', '单个 Stream 丢包不影响其他 Stream（无队头阻塞）。'],
    ['quic.migration', 'QUIC identifies a connection by its connection ID rather than the 4-tuple, validates a new path with PATH_CHALLENGE/PATH_RESPONSE frames, and migrates the connection seamlessly when the IP or port changes (e.g. Wi-Fi to 4G).', 'QUIC 使用 CID 而非四元组标识连接，通过 PATH_CHALLENGE/PATH_RESPONSE 帧验证新路径的可达性，支持 IP/端口变更时的连接无缝迁移（如 Wi-Fi 切换到 4G）。'],
    ['quic.packet-number-spaces', 'Initial, Handshake and application data use separate packet number spaces.', '初始、握手、应用数据使用独立的包号空间。'],
    ['quic.handshake.one-rtt', 'A first QUIC connection completes its handshake and sends the request after one round trip.', '首次 QUIC 连接在 1 个 RTT 后完成握手并发送请求。'],
    ['quic.deploy.no-os-upgrade', 'With UDP as its transport layer, QUIC avoids the limits of TCP\'s kernel implementation and can be deployed without upgrading the operating system.', 'QUIC 以 UDP 作为传输层：避免 TCP 的内核实现限制，无需操作系统升级即可部署。'],
    ['quic.tls.v13', 'QUIC has TLS 1.3 encryption built in: it merges the transport-layer handshake with the TLS 1.3 handshake.', 'QUIC 内置 TLS 1.3 加密，将传输层握手与 TLS 1.3 握手合并。'],
    ['quic.streams.ordered-independent', 'Within one connection QUIC supports several independent streams; each stream is ordered, but the streams are independent of one another.', 'Stream 机制：连接内支持多个独立的 Stream，每个 Stream 有序但相互独立。'],
    ['quic.streams.bidirectional', 'Bidirectional data flow: each stream can independently support data transfer in both directions.', '双向数据流：每个 Stream 可独立支持双向数据传输。'],
  ]),
  ...section('QUIC 协议 › 关键特性', [
    ['quic.streams.flow-control', 'Flow control uses windows at both the stream and the connection level.', '基于 Stream 和连接级别的流量控制窗口。'],
    ['quic.userspace.fewer-switches', 'Running the network stack in user space lowers the overhead of switching between kernel and user mode.', '用户态实现：网络栈在用户空间运行，降低内核态与用户态切换开销。'],
    ['quic.forward-secrecy', 'QUIC provides forward secrecy: its key agreement keeps communication secure.', '前向安全性：提供完善的密钥协商机制，保障通信安全。'],
    ['quic.migration.same-keys', 'After a migration the connection reuses its key material, without a new handshake.', '连接迁移后复用原有密钥材料，无需重新握手。'],
    ['quic.congestion.pluggable', 'Congestion control is pluggable: BBR, CUBIC and others can be chosen to suit the scenario.', '可插拔拥塞控制：支持 BBR、CUBIC 等多种拥塞控制算法，可根据场景选择。'],
    ['quic.ack.ranges', 'ACK frames acknowledge the data received, both cumulatively and selectively.', '基于帧的确认：使用 ACK Frame 确认收到的数据，支持累计确认和选择性确认。'],
    ['quic.loss.fast-retransmit', 'QUIC retransmits quickly on timeouts and on duplicate ACKs.', '基于超时和重复确认的快速重传机制。'],
    ['quic.loss.detection', 'Loss detection: QUIC detects loss efficiently by analysing timestamps and packet numbers.', '丢失检测：通过时间戳和包号分析实现高效的丢失检测。'],
  ]),
  ...section('QUIC 协议 › QUIC 握手流程详解', [
    ['quic.handshake.initial-keys', 'The client Initial is encrypted with temporary keys derived from the client random and public parameters.', '客户端 Initial 包使用临时密钥加密（基于客户端随机数和公共参数）。'],
    ['quic.handshake.first-token-empty', 'On a first connection the token in the client Initial is empty.', '首次连接时客户端 Initial 包中的 Token 为空。'],
    ['quic.handshake.transport-parameters', 'The client Initial carries QUIC-specific parameters: the maximum packet size, the congestion-control algorithms it supports, and so on.', '客户端 Initial 包携带 QUIC 特定参数：最大数据包大小、支持的拥塞控制算法等。'],
    ['quic.handshake.server-initial-token', 'The server Initial carries a connection token the server generated, for the client\'s later 0-RTT handshakes.', '服务器 Initial 包携带服务器生成的连接令牌（用于后续连接的 0-RTT 快速握手）。'],
    ['quic.handshake.server-initial-flight', 'The server Initial carries ServerHello, EncryptedExtensions, Certificate, CertificateVerify and Finished, encrypted with handshake keys.', '服务器 Initial 包包含 TLS Server Hello、Encrypted Extensions、Certificate、Certificate Verify 和 Finished，使用握手密钥加密。'],
    ['quic.handshake.client-finished', 'After one round trip the client sends its TLS Finished together with the first application data, encrypted with the application keys.', '约 1 个 RTT 时客户端发送 TLS Finished 和首次应用数据（如 HTTP/3 请求），使用应用密钥加密。'],
    ['quic.token.anti-replay', 'Later connections carry the token the server provided, to protect against replay.', '后续连接会携带服务器提供的 Token 用于防重放。'],
    ['quic.handshake.client-hello-contents', 'The client Initial carries the TLS Client Hello, an encrypted TLS client greeting containing the supported cipher suites, the supported extensions, a random, and a session ticket (empty on a first connection).', '客户端 Initial 包携带 TLS Client Hello：加密的 TLS 客户端问候消息，包含支持的密码套件、支持的扩展、随机数、会话票据（首次连接时为空）。'],
    ['quic.handshake.server-cid', 'The server Initial\'s common header contains a connection ID generated by the server.', '服务器 Initial 包的公共头部包含服务器生成的连接 ID。'],
    ['quic.handshake.server-acks-client-initial', 'The server Initial carries a QUIC ACK frame acknowledging receipt of the client\'s Initial packet.', '服务器 Initial 包携带 QUIC 确认帧：确认收到客户端的 Initial 数据包。'],
    ['quic.handshake.client-acks-server-initial', 'At about one RTT, with its TLS Finished and first application data, the client sends a QUIC ACK frame acknowledging receipt of the server\'s Initial packet.', '约 1 个 RTT 时，客户端发送 TLS Finished 和首次应用数据，同时携带 QUIC 确认帧：确认收到服务器的 Initial 数据包。'],
    ['quic.handshake.server-response', 'At about 1.5 RTT the server sends application data (the response to the client\'s request, e.g. the HTTP/3 response) and a QUIC ACK frame acknowledging receipt of the client\'s application data, encrypted with the application keys.', '约 1.5RTT 时服务器发送应用数据（对客户端请求的响应，如 HTTP/3 响应）和 QUIC 确认帧（确认收到客户端的应用数据），使用应用密钥加密。'],
  ]),
];

export const ipClaims = [
  ...section('IP 协议 › 头部结构', [
    ['ip.header.fields', 'The IPv4 header holds version, header length, ToS, total length, identification, 3 flag bits, 13-bit fragment offset, TTL, protocol, checksum, source and destination addresses and options.', 'IPv4 头部包含版本、首部长度、服务类型、总长度、标识、3 位标志、13 位片偏移、TTL、协议、校验和、源/目的地址及选项。'],
    ['ip.header.options-size', 'IPv4 options take 0 to 40 bytes.', 'IPv4 选项占 0-40 字节。'],
    ['ip.ttl', 'Every router decrements the TTL by one.', '每经过一个路由器 TTL 减 1。'],
    ['ip.routing', 'IP is responsible for logical addressing and for forwarding packets along routes.', 'IP 负责逻辑寻址和数据包的路由转发。'],
    ['ip.header.field-widths', 'The IP header is a 4-bit IP version, a 4-bit header length, an 8-bit type of service, a 16-bit total length, a 16-bit packet ID, 3 flag bits, a 13-bit fragment offset, an 8-bit TTL, an 8-bit upper-layer protocol, a 16-bit checksum, a 32-bit source IP address, a 32-bit destination IP address and optional options.', 'IP 头部为 4 位 IP 版本、4 位 IP 数据包首部长度、8 位服务类型、16 位 IP 数据包总长度、16 位 IP 数据包 ID、3 个标志位、13 位片偏移量、8 位 TTL、8 位上层协议、16 位校验和、32 位源 IP 地址、32 位目的 IP 地址、可选选项。'],
  ]),
];

export const icmpClaims = [
  ...section('ICMP 协议', [
    ['icmp.layer', 'ICMP is carried inside IP with protocol number 1 and has no ports.', 'ICMP 封装在 IP 数据报中（协议号 1），没有端口概念。'],
  ]),
  ...section('ICMP 协议 › 报文结构', [
    ['icmp.header.common', 'Every ICMP message starts with an 8-bit type, 8-bit code and a 16-bit checksum over the whole message.', '所有 ICMP 报文以 8 位类型、8 位代码和覆盖整个报文的 16 位校验和开头。'],
  ]),
  ...section('ICMP 协议 › 常见 ICMP 报文类型', [
    ['icmp.echo', 'Echo request is 8/0 and reply 0/0; the reply keeps the identifier, sequence and data of the request.', '回显请求为 8/0，应答为 0/0，应答保留请求的标识符、序号和数据。'],
    ['icmp.echo.ping', 'Echo Request/Reply is used for network connectivity testing (e.g. the ping command).', '回显请求/应答用于网络连通性测试（如 ping 命令）。'],
    ['icmp.unreachable.port', 'Destination Unreachable code 3 (port unreachable) is specific to UDP: a UDP datagram to a closed port draws it.', '目标不可达代码 3（端口不可达）为 UDP 特有：发往关闭端口的 UDP 数据报会收到它。'],
    ['icmp.unreachable.frag-needed', 'A DF packet larger than the next link\'s MTU gets Destination Unreachable, code 4 (fragmentation needed).', '设置 DF 且超过下一跳 MTU 的包会收到目标不可达，代码 4（需要分片）。'],
    ['icmp.unreachable.source-route', 'Destination Unreachable code 5 (source route failed) is returned when a router cannot forward a datagram to its destination along its source route.', '目标不可达（类型 3）代码 5：源路由失败（Source Route Failed），路由器无法将数据报转发到目标时返回。'],
    ['icmp.unreachable.network-host', 'Routers answer with code 0 (network) or 1 (host) unreachable when they cannot forward.', '路由器无法转发时返回代码 0（网络不可达）或 1（主机不可达）。'],
    ['icmp.time-exceeded', 'A router that decrements the TTL to zero returns Time Exceeded 11/0, which traceroute builds on.', 'TTL 减到 0 时路由器返回超时 11/0，traceroute 依赖于此。'],
    ['icmp.time-exceeded.reassembly', 'A receiver that cannot reassemble fragments in time returns Time Exceeded 11/1.', '接收端分片重组超时返回 11/1。'],
    ['icmp.parameter-problem', 'A receiver that finds an error in the IP header or the ICMP header returns Parameter Problem (type 12).', '接收方发现 IP 首部或 ICMP 首部存在错误时返回参数问题（类型 12）。'],
    ['icmp.parameter-problem.codes', 'Parameter Problem\'s common codes are 0, an IP header parameter error, and 1, a required option missing.', '参数问题（类型 12）的常见 Code：0 为 IP 首部参数错误，1 为缺少必要选项。'],
    ['icmp.redirect', 'A router tells a host of a better next hop with Redirect (type 5).', '路由器用重定向报文（类型 5）通知主机更优的下一跳。'],
    ['icmp.redirect.codes', 'Redirect\'s common codes are 0, network redirect; 1, host redirect; 2, network TOS redirect; 3, host TOS redirect.', '重定向（类型 5）的常见 Code：0 为网络重定向，1 为主机重定向，2 为网络 TOS 重定向，3 为主机 TOS 重定向。'],
  ]),
];
