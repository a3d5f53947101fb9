/**
 * Answers for the cluster zone, as CoreDNS's `kubernetes` plugin gives them: a name that does not
 * exist is NXDOMAIN, a name that exists without records of the asked type is NODATA (NOERROR, no
 * answers), both with the zone's SOA as authority; headless Services answer with their endpoints;
 * SRV targets carry their addresses as additional records; ExternalName is a CNAME (the server
 * chases its target upstream). Pure: the index and the question in, the records out.
 */
import type { Answer, Question } from "dns-packet";
import ipaddr from "ipaddr.js";
import { parseZoneName, undash, type ZoneQuery } from "./names.js";
import { type DnsIndex, type DnsPort, type DnsService, serviceOf } from "./records.js";

/** TTL is the time to live of every cluster record, CoreDNS's default. */
export const TTL = 5;

/** PodMode is CoreDNS's `pods` option: answer any dashed address, only running pods' addresses, or none. */
export type PodMode = "insecure" | "verified" | "disabled";

/** ZoneResult is the answer to one question of the zone; chase names an ExternalName's target to resolve. */
export interface ZoneResult {
  rcode: "NOERROR" | "NXDOMAIN";
  answers: Answer[];
  authority: Answer[];
  additionals: Answer[];
  chase?: string;
}

/** Hit is one record a name stands for: an address, with the port and SRV target when it has them; or a CNAME. */
type Hit = { ip: string; port?: number; target: string } | { cname: string };
type Lookup = "nxdomain" | Hit[];

const family = (ip: string) => (ipaddr.parse(ip).kind() === "ipv4" ? "A" : "AAAA");
const matches = (want: string | undefined, have: string) => want === undefined || want === "*" || want === have.toLowerCase();
const portMatches = (q: { port?: string; protocol?: string }, p: DnsPort) => matches(q.port, p.name) && matches(q.protocol, p.protocol);

function serviceHits(ix: DnsIndex, s: DnsService, q: Extract<ZoneQuery, { kind: "svc" }>): Hit[] {
  const fqdn = `${s.name}.${s.namespace}.svc.${ix.zone}`;
  if (s.kind === "externalName") return q.endpoint || q.port || !s.externalName ? [] : [{ cname: s.externalName }];
  if (s.kind === "headless" || q.endpoint)
    return s.endpoints.flatMap((ep) =>
      q.endpoint && q.endpoint !== ep.host
        ? []
        : ep.ports.filter((p) => portMatches(q, p)).map((p) => ({ ip: ep.ip, port: p.port, target: `${ep.host}.${fqdn}` })),
    );
  return s.ports.filter((p) => portMatches(q, p)).flatMap((p) => s.clusterIPs.map((ip) => ({ ip, port: p.port, target: fqdn })));
}

/** lookup finds what a zone name stands for: NXDOMAIN, or its hits (none is NODATA). */
function lookup(ix: DnsIndex, q: ZoneQuery, podMode: PodMode): Lookup {
  if (q.kind === "invalid") return "nxdomain";
  if (q.kind === "apex" || q.kind === "version") return [];
  if (q.kind === "pod") {
    if (!q.namespace || !q.pod) return [];
    const ip = podMode === "disabled" ? undefined : undash(q.pod);
    if (!ip || (podMode === "verified" && !ix.podIPs.get(ip)?.includes(q.namespace))) return "nxdomain";
    return [{ ip, target: "" }];
  }
  if (!q.namespace || !q.service) return [];
  const s = serviceOf(ix, q.namespace, q.service);
  if (!s) return "nxdomain";
  const hits = serviceHits(ix, s, q);
  return hits.length === 0 ? "nxdomain" : hits;
}

function soa(ix: DnsIndex): Answer {
  return {
    name: ix.zone,
    type: "SOA",
    ttl: TTL,
    data: {
      mname: `ns.dns.${ix.zone}`,
      rname: `hostmaster.${ix.zone}`,
      serial: ix.serial >>> 0,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: TTL,
    },
  };
}

function addresses(owner: string, hits: Hit[], type: "A" | "AAAA"): Answer[] {
  const ips = new Set(hits.flatMap((h) => ("ip" in h && family(h.ip) === type ? [h.ip] : [])));
  return [...ips].map((ip) => ({ name: owner, type, ttl: TTL, data: ip }));
}

function srv(owner: string, hits: Hit[]): { answers: Answer[]; additionals: Answer[] } {
  const seen = new Map<string, { target: string; port: number }>();
  const extra = new Map<string, string>();
  for (const h of hits) {
    if (!("ip" in h) || h.port === undefined) continue;
    seen.set(`${h.target}|${h.port}`, { target: h.target, port: h.port });
    extra.set(`${h.target}|${h.ip}`, h.ip);
  }
  const weight = Math.floor(100 / Math.max(1, seen.size));
  const answers: Answer[] = [...seen.values()].map((s) => ({
    name: owner,
    type: "SRV",
    ttl: TTL,
    data: { priority: 0, weight, port: s.port, target: s.target },
  }));
  const additionals: Answer[] = [...extra].map(([k, ip]) => ({ name: k.split("|")[0] as string, type: family(ip), ttl: TTL, data: ip }));
  return { answers, additionals };
}

/** answerZone answers one question whose name is in the zone. */
export function answerZone(ix: DnsIndex, q: Question, podMode: PodMode = "insecure", dnsIPs: string[] = []): ZoneResult {
  const owner = q.name;
  const name = owner.toLowerCase().replace(/\.$/, "");
  const parsed = parseZoneName(name, ix.zone);
  const none: ZoneResult = { rcode: "NOERROR", answers: [], authority: [soa(ix)], additionals: [] };
  const found = lookup(ix, parsed, podMode);
  if (found === "nxdomain") return { ...none, rcode: "NXDOMAIN" };
  if (parsed.kind === "version")
    return q.type === "TXT" ? { ...none, answers: [{ name: owner, type: "TXT", ttl: TTL, data: "1.1.0" }], authority: [] } : none;
  if (parsed.kind === "apex") {
    const ns: Answer = { name: owner, type: "NS", ttl: TTL, data: `ns.dns.${ix.zone}` };
    const glue: Answer[] = dnsIPs.map((ip) => ({ name: `ns.dns.${ix.zone}`, type: family(ip), ttl: TTL, data: ip }));
    if (q.type === "SOA") return { ...none, answers: [{ ...soa(ix), name: owner }], authority: [] };
    if (q.type === "NS") return { ...none, answers: [ns], authority: [], additionals: glue };
    return none;
  }
  const cname = found.find((h): h is { cname: string } => "cname" in h);
  if (cname) {
    const answers: Answer[] = [{ name: owner, type: "CNAME", ttl: TTL, data: cname.cname }];
    return { ...none, answers, authority: [], ...(q.type === "A" || q.type === "AAAA" ? { chase: cname.cname } : {}) };
  }
  let answers: Answer[] = [];
  let additionals: Answer[] = [];
  if (q.type === "A" || q.type === "AAAA") answers = addresses(owner, found, q.type);
  else if (q.type === "SRV") ({ answers, additionals } = srv(owner, found));
  return answers.length === 0 ? none : { rcode: "NOERROR", answers, authority: [], additionals };
}

/** answerReverse answers a PTR question for an address the cluster knows, or returns undefined (the upstream's). */
export function answerReverse(ix: DnsIndex, q: Question, ip: string): ZoneResult | undefined {
  const names = ix.ptr.get(ip);
  if (!names) return undefined;
  if (q.type !== "PTR") return { rcode: "NOERROR", answers: [], authority: [soa(ix)], additionals: [] };
  return {
    rcode: "NOERROR",
    answers: names.map((n) => ({ name: q.name, type: "PTR", ttl: TTL, data: n })),
    authority: [],
    additionals: [],
  };
}
