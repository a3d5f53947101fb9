/**
 * Names in the cluster zone, as the Kubernetes DNS specification lays them out and CoreDNS's
 * `kubernetes` plugin parses them: `[_port._proto.|endpoint.]service.namespace.svc.<zone>` and
 * `a-b-c-d.namespace.pod.<zone>`; and the reverse names of IPv4 and IPv6 addresses.
 */
import ipaddr from "ipaddr.js";

/** ZoneQuery is a name of the cluster zone taken apart (every label lower-cased). */
export type ZoneQuery =
  | { kind: "apex" }
  | { kind: "version" }
  | { kind: "svc"; namespace?: string; service?: string; endpoint?: string; port?: string; protocol?: string }
  | { kind: "pod"; namespace?: string; pod?: string }
  | { kind: "invalid" };

/** inZone says whether name (lower-case, no trailing dot) is the zone or under it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** parseZoneName takes a name of the zone apart; too many labels, or a type other than svc/pod, is invalid. */
export function parseZoneName(name: string, zone: string): ZoneQuery {
  if (name === zone) return { kind: "apex" };
  const labels = name.slice(0, -(zone.length + 1)).split(".");
  if (labels.length === 1 && labels[0] === "dns-version") return { kind: "version" };
  const type = labels.pop();
  const [namespace, object] = [labels.pop(), labels.pop()];
  if (type === "pod") return labels.length > 0 ? { kind: "invalid" } : { kind: "pod", ...opt({ namespace, pod: object }) };
  if (type !== "svc") return { kind: "invalid" };
  const q = { kind: "svc" as const, ...opt({ namespace, service: object }) };
  if (labels.length === 0) return q;
  if (labels.length === 1) return { ...q, endpoint: labels[0] as string };
  if (labels.length === 2) return { ...q, port: strip(labels[0] as string), protocol: strip(labels[1] as string) };
  return { kind: "invalid" };
}

const strip = (s: string) => (s.startsWith("_") ? s.slice(1) : s);
function opt<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

/** dashed writes an address as one label: 10-244-1-5, or fd00-10-244--5 for IPv6, as CoreDNS does. */
export const dashed = (ip: string) => ip.replace(/[.:]/g, "-");

/** undash reads a dashed label back as an address, or undefined when it is none. */
export function undash(label: string): string | undefined {
  const ip = (label.match(/-/g) ?? []).length === 3 && !label.includes("--") ? label.replace(/-/g, ".") : label.replace(/-/g, ":");
  return ipaddr.isValid(ip) ? ipaddr.parse(ip).toString() : undefined;
}

/** reverseName is an address's name under in-addr.arpa or ip6.arpa. */
export function reverseName(ip: string): string {
  const a = ipaddr.parse(ip);
  if (a.kind() === "ipv4") return `${a.toByteArray().reverse().join(".")}.in-addr.arpa`;
  const nibbles = a.toByteArray().flatMap((b) => [b >> 4, b & 15]);
  return `${nibbles
    .reverse()
    .map((n) => n.toString(16))
    .join(".")}.ip6.arpa`;
}

/** reverseAddress reads a full reverse name back as an address (undefined for a partial or bad one). */
export function reverseAddress(name: string): string | undefined {
  if (name.endsWith(".in-addr.arpa")) {
    const parts = name.slice(0, -".in-addr.arpa".length).split(".");
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined;
    return parts.reverse().join(".");
  }
  if (name.endsWith(".ip6.arpa")) {
    const parts = name.slice(0, -".ip6.arpa".length).split(".");
    if (parts.length !== 32 || !parts.every((p) => /^[0-9a-f]$/.test(p))) return undefined;
    const hex = parts.reverse().join("");
    return ipaddr.parse(hex.match(/.{4}/g)!.join(":")).toString();
  }
  return undefined;
}

/** isReverse says whether a name is under in-addr.arpa or ip6.arpa. */
export const isReverse = (name: string) => name.endsWith(".in-addr.arpa") || name.endsWith(".ip6.arpa");
