import { describe, expect, it } from 'vitest';
import { judgeFields, judgeReserved, type TcpRow } from '../../labs/tcp/header.lab.ts';

// The ECN-setup SYN and the SYN/ACK of a run of the lab, as tshark decoded them.
const SYN = { 'frame.number': '1', 'tcp.srcport': '48012', 'tcp.dstport': '7200', 'tcp.seq_raw': '2735541210', 'tcp.ack_raw': '0', 'tcp.hdr_len': '40', 'tcp.flags': '0x00c2', 'tcp.flags.res': '0', 'tcp.flags.cwr': '1', 'tcp.flags.ece': '1', 'tcp.flags.urg': '0', 'tcp.window_size_value': '64240', 'tcp.checksum': '0x5b1c', 'tcp.urgent_pointer': '0', 'tcp.option_kind': '2,4,8,1,3', 'tcp.len': '0' } as TcpRow;
const SYNACK = { ...SYN, 'frame.number': '2', 'tcp.flags': '0x0052', 'tcp.flags.cwr': '0', 'tcp.flags.ece': '1' } as TcpRow;

describe('tcp header judges', () => {
  it('CWR and ECE in use make the fields nuanced and the six reserved bits refuted', () => {
    expect(judgeFields([SYN, SYNACK]).verdict).toBe('nuanced');
    expect(judgeReserved([SYN, SYNACK]).verdict).toBe('refuted');
  });

  it('without ECN the six flags confirm the field list and leave the reserved bits unverifiable', () => {
    const plain = { ...SYN, 'tcp.flags': '0x0002', 'tcp.flags.cwr': '0', 'tcp.flags.ece': '0' } as TcpRow;
    expect(judgeFields([plain]).verdict).toBe('confirmed');
    expect(judgeReserved([plain]).verdict).toBe('unverifiable');
    expect(judgeFields([{ ...plain, 'tcp.checksum': '' }]).verdict).toBe('refuted');
  });
});
