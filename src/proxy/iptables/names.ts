/**
 * kube-proxy's chain names, so runbooks that grep for KUBE-SVC-… keep working: the first 16
 * characters of the base32 (RFC 4648) encoding of SHA-256 over the service port name and the
 * lower-case protocol (endpoint chains add `ip:port`).
 */
import { createHash } from "node:crypto";

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

/** portProtoHash is kube-proxy's 16-character hash of a service port name plus protocol. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return base32Prefix16(createHash("sha256").update(servicePortName + protocol.toLowerCase()).digest());
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
  const digest = createHash("sha256").update(servicePortName + protocol.toLowerCase() + endpoint).digest();
  return `KUBE-SEP-${base32Prefix16(digest)}`;
}

/** SERVICE_CHAIN_PREFIXES are the prefixes of chains that belong to one service port. */
export const SERVICE_CHAIN_PREFIXES = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"];

/** isServiceChain tells whether a chain name is one of ours per service port. */
export function isServiceChain(name: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => name.startsWith(p));
}
