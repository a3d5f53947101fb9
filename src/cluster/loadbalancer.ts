/**
 * A minimal load-balancer controller (what a cloud provider or MetalLB does for status): every
 * LoadBalancer Service gets an ingress IP from the cluster's pool, honouring spec.loadBalancerIP
 * when it is in the pool and free; services that stop being LoadBalancers give theirs back.
 */
import type { Service } from "../model/types.js";
import type { Txn } from "../store/types.js";
import { cidrContains, cidrSize, nthIP, parseCIDR } from "../util/ip.js";
import type { ClusterConfig } from "./config.js";

function ingressIPs(s: Service): string[] {
  return (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

/** reconcileLoadBalancers assigns and releases load-balancer ingress IPs; returns services it could not serve. */
export function reconcileLoadBalancers(tx: Txn, cfg: ClusterConfig): string[] {
  const pool = cfg.loadBalancerPool ? parseCIDR(cfg.loadBalancerPool) : undefined;
  if (!pool) return [];
  const services = tx.list<Service>("Service");
  const used = new Set<string>();
  for (const s of services) if (s.spec.type === "LoadBalancer") for (const ip of ingressIPs(s)) used.add(ip);
  const problems: string[] = [];
  for (const s of services) {
    const have = ingressIPs(s);
    if (s.spec.type !== "LoadBalancer") {
      if (have.length && have.every((ip) => cidrContains(pool, ip))) tx.put({ ...s, status: { ...s.status, loadBalancer: {} } });
      continue;
    }
    const want = s.spec.loadBalancerIP;
    if (have.length > 0 && (!want || have.includes(want))) continue;
    let ip: string | undefined;
    if (want) {
      if (!cidrContains(pool, want) || (used.has(want) && !have.includes(want))) {
        problems.push(
          `Service "${s.metadata.namespace}/${s.metadata.name}": loadBalancerIP ${want} is not free in pool ${cfg.loadBalancerPool}`,
        );
        continue;
      }
      ip = want;
    } else {
      const size = cidrSize(pool);
      for (let i = 1n; i < size - 1n && !ip; i++) {
        const c = nthIP(pool, i);
        if (!used.has(c)) ip = c;
      }
    }
    if (!ip) {
      problems.push(`Service "${s.metadata.namespace}/${s.metadata.name}": load-balancer pool ${cfg.loadBalancerPool} is exhausted`);
      continue;
    }
    used.add(ip);
    tx.put({ ...s, status: { ...s.status, loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } } });
  }
  return problems;
}
