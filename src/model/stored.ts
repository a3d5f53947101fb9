/**
 * Reading what a real API server stores: objects it accepted years ago may not pass today's
 * validation, and kube-proxy still serves them. Two cases matter for networking: IPv4 addresses
 * written with leading zeros by older API servers (`172.30.0.041` is 172.30.0.41 — decimal, as
 * Go's ParseIPSloppy reads it, never octal) and `loadBalancerSourceRanges` with spaces around them
 * (the API server trims them when it validates, but stores them as given). readStored rewrites
 * them in the normal form, so the rules and chain names use that form; `lab apply` still refuses
 * new objects written so, as a current API server does.
 */
import type { EndpointSlice, Service } from "./types.js";

const SLOPPY_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** sloppyIP is an address in its normal form, reading IPv4 octets with leading zeros as decimal; other text is returned as is. */
export function sloppyIP(s: string): string {
  if (typeof s !== "string") return s;
  const t = s.trim();
  const m = SLOPPY_V4.exec(t);
  if (!m) return t === s ? s : t;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets.join(".") : s;
}

/** sloppyCIDR is a CIDR with spaces trimmed and its address read as sloppyIP. */
export function sloppyCIDR(s: string): string {
  const t = s.trim();
  const slash = t.indexOf("/");
  return slash < 0 ? t : `${sloppyIP(t.slice(0, slash))}${t.slice(slash)}`;
}

/** readStored returns the object with its addresses in the normal form (a copy, only when one was not); anything malformed is left for validation to report. */
export function readStored<T>(o: T): T {
  const k = (o as { kind?: unknown } | null)?.kind;
  try {
    if (k === "Service" && sloppyService(o as unknown as Service)) return readService(o as unknown as Service) as unknown as T;
    if (k === "EndpointSlice" && sloppySlice(o as unknown as EndpointSlice))
      return readSlice(o as unknown as EndpointSlice) as unknown as T;
  } catch {}
  return o;
}

// The proxy reads every Service and slice on every store change: copy only the rare ones to mend.
const off = (x: unknown) => typeof x === "string" && sloppyIP(x) !== x;
const offRange = (x: unknown) => typeof x === "string" && sloppyCIDR(x) !== x;

function sloppyService(s: Service): boolean {
  const spec = s.spec;
  return (
    off(spec.clusterIP) ||
    off(spec.loadBalancerIP) ||
    !!spec.clusterIPs?.some(off) ||
    !!spec.externalIPs?.some(off) ||
    !!spec.loadBalancerSourceRanges?.some(offRange) ||
    !!s.status?.loadBalancer?.ingress?.some((i) => off(i.ip))
  );
}

function sloppySlice(e: EndpointSlice): boolean {
  return e.addressType === "IPv4" && e.endpoints.some((p) => p.addresses.some(off));
}

function readService(s: Service): Service {
  const spec = s.spec;
  const ips = (xs: string[] | undefined) => xs?.map((x) => (typeof x === "string" ? sloppyIP(x) : x));
  const out: Service = {
    ...s,
    spec: {
      ...spec,
      ...(spec.clusterIP !== undefined ? { clusterIP: sloppyIP(spec.clusterIP) } : {}),
      ...(spec.clusterIPs ? { clusterIPs: ips(spec.clusterIPs) } : {}),
      ...(spec.externalIPs ? { externalIPs: ips(spec.externalIPs) } : {}),
      ...(spec.loadBalancerIP !== undefined ? { loadBalancerIP: sloppyIP(spec.loadBalancerIP) } : {}),
      ...(spec.loadBalancerSourceRanges
        ? { loadBalancerSourceRanges: spec.loadBalancerSourceRanges.map((c) => (typeof c === "string" ? sloppyCIDR(c) : c)) }
        : {}),
    },
  };
  const ingress = s.status?.loadBalancer?.ingress;
  if (ingress)
    out.status = {
      ...s.status,
      loadBalancer: { ...s.status?.loadBalancer, ingress: ingress.map((i) => (i.ip ? { ...i, ip: sloppyIP(i.ip) } : i)) },
    };
  return out;
}

function readSlice(e: EndpointSlice): EndpointSlice {
  if (e.addressType !== "IPv4") return e;
  return { ...e, endpoints: e.endpoints.map((p) => ({ ...p, addresses: p.addresses.map((a) => sloppyIP(a)) })) };
}
