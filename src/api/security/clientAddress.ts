import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * The client's address, for the failed-authentication limit and the socket caps. Behind a proxy every connection
 * comes from the proxy, so TRUST_PROXY names the proxies (addresses, CIDRs, or `loopback`, `linklocal`,
 * `uniquelocal`) whose X-Forwarded-For is believed; the same rule serves HTTP (Fastify's `request.ip`) and WebSocket
 * upgrades.
 */
export function clientAddressRule(trusted: readonly string[] | undefined): {
  trustProxy: TrustProxy | false;
  addressOf: (request: IncomingMessage) => string;
} {
  if (!trusted || trusted.length === 0) {
    return { trustProxy: false, addressOf: (request) => request.socket.remoteAddress ?? 'unknown' };
  }
  const trust = proxyAddr.compile([...trusted]);
  return { trustProxy: trust, addressOf: (request) => proxyAddr(request, trust) };
}

/** Throws when a TRUST_PROXY entry is not an address, a CIDR or a known name. */
export function assertTrustProxy(trusted: readonly string[]): void {
  proxyAddr.compile([...trusted]);
}
