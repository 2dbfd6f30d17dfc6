import { section } from '../claim.ts';

export const tcpClaims = [
  ...section('TCP 协议', [
    ['tcp.service.reliable-ordered-stream', 'TCP offers a connection-oriented, reliable, ordered byte-stream service.', 'TCP 提供面向连接、可靠、有序的字节流服务。'],
  ]),
  ...section('TCP 协议 › 头部结构', [
    ['tcp.header.fields', 'The header holds 16-bit ports, 32-bit sequence and acknowledgement numbers, a 4-bit header length, reserved bits, the URG/ACK/PSH/RST/SYN/FIN flags, a 16-bit window, checksum and urgent pointer, and up to 40 bytes of options.', 'TCP 头部包含 16 位源/目的端口、32 位序列号和确认号、4 位首部长度、保留位、URG/ACK/PSH/RST/SYN/FIN 六个标志、16 位窗口、校验和、紧急指针，以及最多 40 字节的选项。'],
    ['tcp.header.reserved-six-bits', 'There are 6 reserved bits and 6 flag bits in the header.', '头部中有 6 个保留位和 6 个标志位。'],
    ['tcp.stream.no-boundaries', 'TCP is a byte stream: the sizes of the sender\'s writes are not preserved at the receiver, and the header has no total-length field.', 'TCP 是字节流：发送方每次写入的大小不会在接收方保留，头部也没有报文总长度字段。'],
  ]),
  ...section('TCP 协议 › 首部长度', [
    ['tcp.header.length', 'The header length counts 4-byte words: the header is 20 bytes by default and at most 60; options take 0 to 40 bytes.', '首部长度以 4 字节为单位：默认 20 字节，最大 60 字节，选项占 0 到 40 字节。'],
  ]),
  ...section('TCP 协议 › 可靠交付', [
    ['tcp.reliability.mechanisms', 'Reliability comes from acknowledgements, timeout retransmission, fast retransmission, flow control and congestion control.', '可靠交付依靠确认机制、超时重传、快速重传、流量控制和拥塞控制。'],
  ]),
  ...section('TCP 协议 › 滑动窗口', [
    ['tcp.window.send-min', 'The sender\'s window is the minimum of the receiver\'s advertised window and the congestion window.', '发送窗口等于 min(接收窗口, 拥塞窗口)。'],
    ['tcp.flow.window', 'A receiver that stops reading shrinks its advertised window to zero; the sender stops and probes the window.', '接收方停止读取时通告窗口缩小到 0，发送方停止发送并进行窗口探测。'],
  ]),
  ...section('TCP 协议 › 拥塞控制', [
    ['tcp.congestion.slow-start', 'Slow start begins with a congestion window of 1 MSS and doubles it on every acknowledgement, growing exponentially.', '慢开始时拥塞窗口初始为 1 个 MSS，每收到一个确认就加倍，指数增长。'],
    ['tcp.congestion.avoidance', 'Once the congestion window passes ssthresh, it grows by one MSS per RTT (linear growth).', '拥塞窗口超过 ssthresh 后进入拥塞避免，每个 RTT 增加 1 个 MSS，线性增长。'],
    ['tcp.congestion.fast-retransmit', 'On duplicate acknowledgements the missing segment is retransmitted at once instead of waiting for the timeout.', '收到重复确认时立即重传缺失的报文段，而不是等待超时。'],
    ['tcp.congestion.fast-recovery', 'After three duplicate ACKs, ssthresh is set to half the congestion window, the window is halved and congestion avoidance follows.', '收到 3 个重复确认后，ssthresh 设为当前拥塞窗口的一半，拥塞窗口减半，然后进入拥塞避免。'],
  ]),
  ...section('TCP 协议 › 超时重传', [
    ['tcp.retransmit.timeout', 'When no acknowledgement arrives before the timeout, the segment is retransmitted and the congestion window is reset to 1 MSS.', '超时未收到确认则重传，拥塞窗口重置为 1 个 MSS。'],
  ]),
  ...section('TCP 协议 › 三次握手', [
    ['tcp.handshake.three-way', 'A connection opens with SYN (seq=x), SYN/ACK (seq=y, ack=x+1) and ACK (seq=x+1, ack=y+1).', '建立连接依次为 SYN(seq=x)、SYN/ACK(seq=y, ack=x+1)、ACK(seq=x+1, ack=y+1)。'],
    ['tcp.handshake.states', 'The client is in SYN_SENT after its SYN, the server in SYN_RCVD after its SYN/ACK, and both reach ESTABLISHED.', '客户端发送 SYN 后处于 SYN_SENT，服务端回复 SYN/ACK 后处于 SYN_RCVD，最终双方进入 ESTABLISHED。'],
    ['tcp.handshake.why-three', 'Three messages are needed to reject stale SYNs, prove both directions work and synchronise both initial sequence numbers.', '三次握手用于防止历史 SYN 干扰、确认双方收发正常、同步双方初始序列号。'],
  ]),
  ...section('TCP 协议 › 四次挥手', [
    ['tcp.close.four-way', 'A connection closes with FIN, ACK, FIN, ACK, with the sequence and acknowledgement numbers the sheet gives.', '关闭连接依次为 FIN、ACK、FIN、ACK，序列号与确认号如表中所述。'],
    ['tcp.close.states', 'The active closer passes FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT; the passive closer CLOSE_WAIT and LAST_ACK.', '主动关闭方依次经历 FIN_WAIT_1、FIN_WAIT_2、TIME_WAIT；被动关闭方经历 CLOSE_WAIT、LAST_ACK。'],
    ['tcp.close.close-wait', 'The passive closer enters CLOSE_WAIT on receiving the first FIN; CLOSE_WAIT notifies the application that the connection is closed and waits for it to handle the remaining data; once the application is done, it sends a FIN to confirm the close.', '被动关闭方收到第一次挥手 FIN 报文后进入 CLOSE_WAIT 状态；CLOSE_WAIT 的作用是通知应用层连接已关闭，等待应用层处理剩余数据；应用层处理完成后，发送 FIN 报文确认关闭。'],
    ['tcp.close.time-wait', 'The active closer waits in TIME_WAIT for 2MSL (MSL usually 60 s) before closing.', '主动关闭方在 TIME_WAIT 等待 2MSL（MSL 通常为 60 秒）后关闭。'],
    ['tcp.close.time-wait-purpose', 'TIME_WAIT ensures that the last ACK reaches the peer, so that it does not retransmit its FIN after a timeout, and that every segment of the connection has vanished from the network, so that segments of an old connection cannot disturb a new one.', 'TIME_WAIT 的作用：确保最后一个 ACK 能被对方收到，避免对方超时重发 FIN；确保网络中所有与该连接相关的报文都已消失，防止旧连接报文干扰新连接。'],
    ['tcp.close.time-wait-ports', 'Many TIME_WAIT connections hold local ports, which kernel settings can mitigate.', '大量 TIME_WAIT 连接会占用端口资源，可通过内核参数优化。'],
    ['tcp.close.passive-closed', 'In the fourth step, the passive closer enters the CLOSED state after it receives the ACK.', '第四次挥手中，被动关闭方收到 ACK 后，进入 CLOSED 状态。'],
  ]),
];
