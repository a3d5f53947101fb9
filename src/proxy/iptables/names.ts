/**
 * kube-proxy's chain names, so runbooks that grep for KUBE-SVC-… keep working: the first 16
 * characters of the base32 (RFC 4648) encoding of SHA-256 over the service port name and the
 * lower-case protocol (endpoint chains add `ip:port`).
 */
import { hash } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** base32Prefix16 returns the first 16 base32 characters of a digest (its first 80 bits). */
function base32Prefix16(digest: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (let i = 0; i < 10; i++) {
    value = (value << 8) | (digest[i] as number);
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

// Names are pure functions of their input and syncs ask for the same ones again and again.
const memo = new Map<string, string>();
const MEMO_LIMIT = 500_000;

function hashOf(input: string): string {
  let h = memo.get(input);
  if (h === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    h = base32Prefix16(hash("sha256", input, "buffer")); // one-shot: about twice as fast as createHash here
    memo.set(input, h);
  }
  return h;
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
