/**
 * From a Service to the proxy's per-port, per-family view, following kube-proxy's service change
 * tracker: headless and ExternalName services are skipped, addresses of the other family are dropped,
 * load-balancer IPs in Proxy ipMode are left to the load balancer.
 */
import { flat } from "../util/flat.js";
import type { Service } from "../model/types.js";
import { parseCIDR } from "../util/ip.js";
import { none } from "../util/none.js";
import type { Family, Protocol, ServicePortInfo } from "./types.js";

const DEFAULT_STICKY_SECONDS = 10800;
const HINTS_ANNOTATIONS = ["service.kubernetes.io/topology-mode", "service.kubernetes.io/topology-aware-hints"];

/** familyOf tells an IP address's family without parsing it fully (inputs are validated upstream). */
export function familyOf(ip: string): Family {
  return ip.includes(":") ? 6 : 4;
}

function clusterIPFor(svc: Service, family: Family): string | undefined {
  const ips = svc.spec.clusterIPs?.length ? svc.spec.clusterIPs : [svc.spec.clusterIP ?? ""];
  return ips.find((ip) => ip !== "" && ip !== "None" && familyOf(ip) === family);
}

function sourceRanges(svc: Service, family: Family): string[] {
  if (!svc.spec.loadBalancerSourceRanges?.length) return none<string>();
  const out: string[] = [];
  for (const raw of svc.spec.loadBalancerSourceRanges) {
    const c = parseCIDR(raw.trim());
    if (c && c.family === family) out.push(`${raw.trim().split("/")[0]}/${c.prefix}`);
  }
  return out;
}

function topologyHints(svc: Service): boolean {
  if (svc.spec.trafficDistribution === "PreferClose") return true;
  const ann = svc.metadata.annotations ?? {};
  const v = HINTS_ANNOTATIONS.map((k) => ann[k]).find((x) => x !== undefined);
  return v !== undefined && v !== "" && v.toLowerCase() !== "disabled";
}

/** servicePorts returns the service's ports the proxy programs in one IP family (none when it has no cluster IP there). */
export function servicePorts(svc: Service, family: Family): ServicePortInfo[] {
  if (svc.spec.type === "ExternalName") return [];
  const clusterIP = clusterIPFor(svc, family);
  if (!clusterIP) return [];
  const type = svc.spec.type ?? "ClusterIP";
  const external = svc.spec.externalIPs?.length ? svc.spec.externalIPs.filter((ip) => familyOf(ip) === family) : none<string>();
  const ingress = type === "LoadBalancer" ? (svc.status?.loadBalancer?.ingress ?? []) : [];
  const vips = ingress.length
    ? ingress.filter((i) => i.ip && i.ipMode !== "Proxy" && familyOf(i.ip) === family).map((i) => i.ip as string)
    : none<string>();
  const externalPolicyLocal =
    (type === "NodePort" || type === "LoadBalancer" || external.length > 0) && svc.spec.externalTrafficPolicy === "Local";
  const ns = svc.metadata.namespace ?? "default";
  return (svc.spec.ports ?? []).map((p) => {
    const portName = p.name ?? "";
    const nameString = flat(`${ns}/${svc.metadata.name}${portName ? `:${portName}` : ""}`);
    return {
      namespace: ns,
      name: svc.metadata.name,
      portName,
      nameString,
      protocol: (p.protocol ?? "TCP") as Protocol,
      family,
      clusterIP,
      port: p.port,
      nodePort: type === "NodePort" || type === "LoadBalancer" ? (p.nodePort ?? 0) : 0,
      externalIPs: external,
      loadBalancerVIPs: vips,
      loadBalancerSourceRanges: type === "LoadBalancer" ? sourceRanges(svc, family) : none<string>(),
      affinityClientIP: svc.spec.sessionAffinity === "ClientIP",
      stickyMaxAgeSeconds: svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_STICKY_SECONDS,
      externalPolicyLocal,
      internalPolicyLocal: svc.spec.internalTrafficPolicy === "Local",
      healthCheckNodePort: type === "LoadBalancer" && externalPolicyLocal ? (svc.spec.healthCheckNodePort ?? 0) : 0,
      topologyHints: topologyHints(svc),
    };
  });
}
