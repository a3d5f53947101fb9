/**
 * Range sets as host-local defines them: a list of range sets, each a list of ranges of one family;
 * one address is allocated per range set. Defaults follow host-local: the gateway is the first
 * address, allocation starts after it and (IPv4) stops before the broadcast address.
 */
import { type IpamConf, IpamError, type IpamRange } from "./types.js";
import { type Cidr, cidrContains, cidrSize, formatIP, parseCIDR, parseIP } from "../util/ip.js";

/** Range is a parsed allocation range. */
export interface Range {
  subnet: Cidr;
  subnetText: string;
  start: bigint;
  end: bigint;
  gateway: string;
}

/** parseRange fills host-local's defaults into one configured range. */
export function parseRange(r: IpamRange): Range {
  const subnet = parseCIDR(r.subnet ?? "");
  if (!subnet) throw new IpamError("config", `invalid ipam subnet "${r.subnet}"`);
  const last = subnet.base + cidrSize(subnet) - 1n;
  const inside = (what: string, ip: string | undefined, dflt: bigint): bigint => {
    if (ip === undefined) return dflt;
    const a = parseIP(ip);
    if (!a || !cidrContains(subnet, ip)) throw new IpamError("config", `${what} ${ip} is not in subnet ${r.subnet}`);
    return a.value;
  };
  const gateway = formatIP(subnet.family, inside("gateway", r.gateway, subnet.base + 1n));
  const start = inside("rangeStart", r.rangeStart, subnet.base + 1n);
  const end = inside("rangeEnd", r.rangeEnd, subnet.family === 4 && subnet.prefix < 31 ? last - 1n : last);
  if (start > end) throw new IpamError("config", `rangeStart ${r.rangeStart} is after rangeEnd ${r.rangeEnd}`);
  return { subnet, subnetText: r.subnet, start, end, gateway };
}

/** rangeSets turns `subnet` or `ranges` into parsed range sets. */
export function rangeSets(conf: IpamConf): Range[][] {
  const sets: IpamRange[][] =
    conf.ranges ??
    (conf.subnet
      ? [
          [
            {
              subnet: conf.subnet,
              rangeStart: conf.rangeStart,
              rangeEnd: conf.rangeEnd,
              gateway: conf.gateway,
            } as IpamRange,
          ],
        ]
      : []);
  if (sets.length === 0) throw new IpamError("config", 'ipam needs "subnet" or "ranges"');
  return sets.map((set, i) => {
    if (!Array.isArray(set) || set.length === 0) throw new IpamError("config", `ipam ranges[${i}] is empty`);
    const parsed = set.map(parseRange);
    if (new Set(parsed.map((p) => p.subnet.family)).size > 1) throw new IpamError("config", `ipam ranges[${i}] mixes address families`);
    return parsed;
  });
}

/** parseExcludes expands excludeIps entries (an IP, a CIDR, or kube-ovn's `a..b`) to a membership test. */
export function parseExcludes(list: string[] | undefined): (family: 4 | 6, v: bigint) => boolean {
  const spans: { family: 4 | 6; lo: bigint; hi: bigint }[] = [];
  for (const e of list ?? []) {
    const [a, b] = e.split("..");
    const cidr = parseCIDR(e);
    const lo = parseIP(a ?? "");
    const hi = parseIP(b ?? a ?? "");
    if (cidr) spans.push({ family: cidr.family, lo: cidr.base, hi: cidr.base + cidrSize(cidr) - 1n });
    else if (lo && hi && lo.family === hi.family && lo.value <= hi.value) spans.push({ family: lo.family, lo: lo.value, hi: hi.value });
    else throw new IpamError("config", `invalid excludeIps entry "${e}"`);
  }
  return (family, v) => spans.some((s) => s.family === family && v >= s.lo && v <= s.hi);
}
