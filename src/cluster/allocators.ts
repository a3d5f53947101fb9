/**
 * ClusterIP and NodePort allocation, as the API server's allocators do it: explicit values are honoured
 * when in range and free; dynamic ClusterIPs come from the upper band of the range (the lower band is
 * left for static assignment, KEP-3070); dynamic NodePorts take the lowest free port.
 */
import type { Service } from "../model/types.js";
import { type Cidr, cidrContains, cidrSize, nthIP, parseCIDR, parseIP } from "../util/ip.js";
import type { ClusterConfig } from "./config.js";

/** usedClusterIPs collects the ClusterIPs held by services other than `except` (a "ns/name" key). */
export function usedClusterIPs(services: Service[], except?: string): Set<string> {
  const used = new Set<string>();
  for (const s of services) {
    if (`${s.metadata.namespace}/${s.metadata.name}` === except) continue;
    for (const ip of s.spec.clusterIPs ?? (s.spec.clusterIP ? [s.spec.clusterIP] : [])) used.add(canonical(ip));
  }
  return used;
}

/** usedNodePorts collects "port/protocol" node ports (and health-check ports) of other services. */
export function usedNodePorts(services: Service[], except?: string): Set<string> {
  const used = new Set<string>();
  for (const s of services) {
    if (`${s.metadata.namespace}/${s.metadata.name}` === except) continue;
    for (const p of s.spec.ports ?? []) if (p.nodePort) used.add(`${p.nodePort}/${p.protocol ?? "TCP"}`);
    if (s.spec.healthCheckNodePort) used.add(`${s.spec.healthCheckNodePort}/TCP`);
  }
  return used;
}

function canonical(ip: string): string {
  return parseIP(ip) ? ip.toLowerCase() : ip;
}

/** serviceRangeFor returns the configured service range of an address's family. */
export function serviceRangeFor(cfg: ClusterConfig, family: 4 | 6): Cidr | undefined {
  return cfg.serviceCIDRs.map((c) => parseCIDR(c)).find((c) => c?.family === family);
}

/** checkClusterIP explains why a requested ClusterIP cannot be used, or returns undefined. */
export function checkClusterIP(cfg: ClusterConfig, ip: string, used: Set<string>): string | undefined {
  const a = parseIP(ip);
  const range = a && serviceRangeFor(cfg, a.family);
  if (!a || !range) return `Invalid value: "${ip}": no service range for this address family`;
  if (!cidrContains(range, ip)) return `Invalid value: "${ip}": provided IP is not in the valid range ${cfg.serviceCIDRs.join(",")}`;
  if (a.value === range.base) return `Invalid value: "${ip}": the network address of the range is reserved`;
  if (used.has(canonical(ip))) return `Invalid value: "${ip}": provided IP is already allocated`;
  return undefined;
}

/** allocateClusterIP picks a free ClusterIP of the family from the upper band, or undefined when full. */
export function allocateClusterIP(cfg: ClusterConfig, family: 4 | 6, used: Set<string>): string | undefined {
  const range = serviceRangeFor(cfg, family);
  if (!range) return undefined;
  const size = cidrSize(range);
  const band = size / 16n < 16n ? 16n : size / 16n > 256n ? 256n : size / 16n;
  const start = size > band * 2n ? band : 1n;
  for (let off = start; off < size - (family === 4 ? 1n : 0n); off++) {
    const ip = nthIP(range, off);
    if (!used.has(ip)) return ip;
  }
  for (let off = 1n; off < start; off++) {
    const ip = nthIP(range, off);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** allocateNodePort picks the lowest free node port for a protocol, or undefined when the range is full. */
export function allocateNodePort(cfg: ClusterConfig, protocol: string, used: Set<string>): number | undefined {
  for (let p = cfg.nodePortRange.min; p <= cfg.nodePortRange.max; p++) if (!used.has(`${p}/${protocol}`)) return p;
  return undefined;
}
