/**
 * kube-proxy's chain names, so runbooks that grep for KUBE-SVC-… keep working: the first 16
 * characters of the base32 (RFC 4648) encoding of SHA-256 over the service port name and the
 * lower-case protocol (endpoint chains add `ip:port`).
 */
import { hash } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const CODES = [...ALPHABET].map((ch) => ch.charCodeAt(0));

/** base32Prefix16 returns the first 16 base32 characters of a digest (its first 80 bits): two groups of 5 bytes, 8 characters each. */
function base32Prefix16(d: Buffer): string {
  const out: number[] = [];
  for (let i = 0; i < 10; i += 5) {
    const [b0, b1, b2, b3, b4] = [d[i] as number, d[i + 1] as number, d[i + 2] as number, d[i + 3] as number, d[i + 4] as number];
    out.push(b0 >> 3, ((b0 & 7) << 2) | (b1 >> 6), (b1 >> 1) & 31, ((b1 & 1) << 4) | (b2 >> 4));
    out.push(((b2 & 15) << 1) | (b3 >> 7), (b3 >> 2) & 31, ((b3 & 3) << 3) | (b4 >> 5), b4 & 31);
  }
  return String.fromCharCode(...out.map((v) => CODES[v] as number));
}

function hashOf(input: string): string {
  return base32Prefix16(hash("sha256", input, "buffer"));
}

/** portProtoHash is kube-proxy's 16-character hash of a service port name plus protocol. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hashOf(servicePortName + protocol.toLowerCase());
}

/** ServiceChains are the per-service-port chain names. */
export interface ServiceChains {
  svc: string;
  svl: string;
  ext: string;
  fw: string;
}

/** serviceChains returns the KUBE-SVC/SVL/EXT/FW names of a service port. */
export function serviceChains(servicePortName: string, protocol: string): ServiceChains {
  const h = portProtoHash(servicePortName, protocol);
  return { svc: `KUBE-SVC-${h}`, svl: `KUBE-SVL-${h}`, ext: `KUBE-EXT-${h}`, fw: `KUBE-FW-${h}` };
}

/** endpointChain returns the KUBE-SEP name of one endpoint (`ip:port`) of a service port. */
export function endpointChain(servicePortName: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${hashOf(servicePortName + protocol.toLowerCase() + endpoint)}`;
}

/** SERVICE_CHAIN_PREFIXES are the prefixes of chains that belong to one service port. */
export const SERVICE_CHAIN_PREFIXES = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"];

/** isServiceChain tells whether a chain name is one of ours per service port. */
export function isServiceChain(name: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => name.startsWith(p));
}
