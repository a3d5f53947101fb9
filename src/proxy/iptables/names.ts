/**
 * kube-proxy's chain names, so runbooks that grep for KUBE-SVC-… keep working: the first 16
 * characters of the base32 (RFC 4648) encoding of SHA-256 over the service port name and the
 * lower-case protocol (endpoint chains add `ip:port`).
 */
import { hash } from "node:crypto";

const ALPHABET = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"].map((c) => c.charCodeAt(0));
const codes = (prefix: string): number[] => [...prefix].map((c) => c.charCodeAt(0));

/**
 * hashName returns prefix + the first 16 base32 characters of SHA-256(input), i.e. its first 80
 * bits, 5 at a time. The digest comes as a "binary" string (one character per byte), several times
 * cheaper to get than a Buffer, and the name is built from character codes in one piece: a flat
 * string, not a concatenation the ruleset would keep as two.
 */
function hashName(prefix: number[], input: string): string {
  const d = hash("sha256", input, "binary");
  const out = prefix.slice();
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | d.charCodeAt(i);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push(ALPHABET[(acc >> bits) & 31] as number);
    }
    acc &= (1 << bits) - 1;
  }
  return String.fromCharCode(...out);
}

const SVC = codes("KUBE-SVC-");
const SEP = codes("KUBE-SEP-");

/** ServiceChains are the per-service-port chain names. */
export interface ServiceChains {
  svc: string;
  svl: string;
  ext: string;
  fw: string;
}

/** serviceChains returns the KUBE-SVC/SVL/EXT/FW names of a service port. */
export function serviceChains(servicePortName: string, protocol: string): ServiceChains {
  const svc = hashName(SVC, servicePortName + protocol.toLowerCase());
  const h = svc.slice(SVC.length);
  return { svc, svl: `KUBE-SVL-${h}`, ext: `KUBE-EXT-${h}`, fw: `KUBE-FW-${h}` };
}

/** endpointChain returns the KUBE-SEP name of one endpoint (`ip:port`) of a service port. */
export function endpointChain(servicePortName: string, protocol: string, endpoint: string): string {
  return hashName(SEP, servicePortName + protocol.toLowerCase() + endpoint);
}

/** SERVICE_CHAIN_PREFIXES are the prefixes of chains that belong to one service port. */
export const SERVICE_CHAIN_PREFIXES = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"];

/** isServiceChain tells whether a chain name is one of ours per service port. */
export function isServiceChain(name: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => name.startsWith(p));
}
