/** The claims catalog: every checkable statement of the study sheet. */
import type { Claim } from './claim.ts';
import { dnsClaims, httpClaims, tlsClaims } from './claims/application.ts';
import { dockerClaims, kafkaClaims, rocketmqClaims } from './claims/platforms.ts';
import { k8sClaims, mysqlClaims, nginxClaims } from './claims/servers.ts';
import { linuxClaims, osClaims } from './claims/systems.ts';
import { tcpClaims } from './claims/tcp.ts';
import { icmpClaims, ipClaims, quicClaims, udpClaims } from './claims/transport.ts';

export type { Claim } from './claim.ts';

export const CLAIMS: readonly Claim[] = [
  ...tcpClaims,
  ...udpClaims,
  ...quicClaims,
  ...ipClaims,
  ...dnsClaims,
  ...httpClaims,
  ...tlsClaims,
  ...icmpClaims,
  ...linuxClaims,
  ...osClaims,
  ...nginxClaims,
  ...mysqlClaims,
  ...k8sClaims,
  ...dockerClaims,
  ...kafkaClaims,
  ...rocketmqClaims,
];

const byId = new Map(CLAIMS.map((claim) => [claim.id, claim]));

export function findClaim(id: string): Claim | undefined {
  return byId.get(id);
}

export function topics(): string[] {
  return [...new Set(CLAIMS.map((c) => c.topic))];
}
