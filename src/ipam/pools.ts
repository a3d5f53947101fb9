/**
 * The pools one podnet IPAM config holds: the node's own ranges, plus one per Subnet bound to
 * namespaces (kube-ovn's feature 1). ADD picks the pool by the pod's namespace (K8S_POD_NAMESPACE);
 * DEL, CHECK and GC look at every pool, so an address is found again even if bindings changed.
 * Each Subnet pool keeps host-local's layout in its own directory under the network's.
 */
import { join } from "node:path";
import type { IpamConf, IpamSubnet } from "./types.js";
import { Allocator, DEFAULT_DATA_DIR } from "./allocator.js";

/** Pool is one allocator and the subnet it serves (none for the node's own ranges). */
export interface Pool {
  subnet?: string;
  alloc: Allocator;
}

function subnetConf(base: IpamConf, s: IpamSubnet, network: string): IpamConf {
  return {
    type: base.type,
    ranges: s.ranges,
    routes: s.routes ?? base.routes,
    excludeIps: s.excludeIps,
    dataDir: join(base.dataDir ?? DEFAULT_DATA_DIR, network),
  };
}

/** ipamPools opens every pool of a network's IPAM config. */
export function ipamPools(network: string, conf: IpamConf): Pool[] {
  const own = conf.ranges || conf.subnet ? [{ alloc: new Allocator(network, conf) }] : [];
  const subs = (conf.subnets ?? []).filter((s) => s.ranges.length > 0);
  return [...own, ...subs.map((s) => ({ subnet: s.name, alloc: new Allocator(`subnet-${s.name}`, subnetConf(conf, s, network)) }))];
}

/** subnetFor names the Subnet that serves a namespace: the one listing it, else the default one. */
export function subnetFor(conf: IpamConf, namespace: string | undefined): string | undefined {
  const subs = conf.subnets ?? [];
  return (namespace ? subs.find((s) => s.namespaces?.includes(namespace)) : undefined)?.name ?? subs.find((s) => s.default)?.name;
}

/** poolFor picks the pool an ADD draws from. */
export function poolFor(pools: Pool[], conf: IpamConf, namespace: string | undefined): Pool | undefined {
  const name = subnetFor(conf, namespace);
  return pools.find((p) => p.subnet === name);
}
