/**
 * The kernel objects podnet manages with iproute2, as plain data: links, addresses, routes, policy
 * rules, neighbours and FDB entries. Data planes describe what they want in these terms; only
 * src/iproute turns them into `ip -batch` / `bridge -batch` text or reads them back from `ip -j`.
 */

/** VethPeer is the other end of a veth pair, created together with it (often straight into a pod's namespace). */
export interface VethPeer {
  name: string;
  mtu?: number;
  address?: string;
  /** netns moves the peer into a namespace at creation (a name or a path). */
  netns?: string;
}

/** VxlanInfo is a VXLAN device's tunnel settings. */
export interface VxlanInfo {
  id: number;
  local: string;
  /** dev is the underlay device the tunnel sends through. */
  dev: string;
  port: number;
  learning: boolean;
}

/** LinkKind is a link type podnet creates. */
export type LinkKind = "veth" | "bridge" | "vxlan" | "ifb" | "dummy";

/** Link is a network interface as podnet creates or reads it. */
export interface Link {
  name: string;
  kind?: LinkKind;
  mtu?: number;
  address?: string;
  master?: string;
  up?: boolean;
  /** alias is the link's description (`ifalias`): the CNI plugin names the pod a host veth serves with it. */
  alias?: string;
  /** peer is a veth's other end. */
  peer?: VethPeer;
  vxlan?: VxlanInfo;
}

/** LinkChange is `ip link set`: a link's master, MTU, state or bridge-port hairpin flag. */
export interface LinkChange {
  name: string;
  master?: string;
  mtu?: number;
  up?: boolean;
  hairpin?: boolean;
}

/** Address is an address on a link; nodad skips IPv6 duplicate address detection; a preferred lifetime of 0 keeps it from being chosen as a source. */
export interface Address {
  dev: string;
  cidr: string;
  nodad?: boolean;
  preferredLft?: number;
}

/** Route is one route. dst is a CIDR (a bare address means a host route) or "default". */
export interface Route {
  dst: string;
  blackhole?: boolean;
  via?: string;
  /** nexthops are equal-cost gateways (`nexthop via A nexthop via B`); via is unset then. */
  nexthops?: string[];
  dev?: string;
  onlink?: boolean;
  scope?: "link";
  /** proto tags who owns the route (81 for podnet's pod routes, "bird" for BIRD's). */
  proto?: number | string;
  metric?: number;
  /** table is the routing table; main when unset. */
  table?: number;
}

/** Rule is a policy routing rule: traffic from a source looks up a table. */
export interface Rule {
  from: string;
  table: number | "main";
  priority: number;
  suppressPrefixLength?: number;
  protocol?: number;
}

/** Neighbour is an ARP/NDP entry; podnet writes permanent ones. */
export interface Neighbour {
  dst: string;
  lladdr: string;
  dev: string;
  permanent?: boolean;
}

/** FdbEntry is a bridge/VXLAN forwarding database entry (`self permanent`): a MAC reached through a remote address. */
export interface FdbEntry {
  mac: string;
  dev: string;
  dst?: string;
}

/** IpOp is one change (or, for links, one query) in an iproute transaction. */
export type IpOp =
  | { verb: "add" | "del"; link: Link }
  | { verb: "set"; linkChange: LinkChange }
  | { verb: "show"; linkName: string }
  | { verb: "add" | "replace" | "del"; address: Address }
  | { verb: "add" | "replace" | "del"; route: Route }
  | { verb: "add" | "del"; rule: Rule }
  | { verb: "replace" | "del"; neighbour: Neighbour }
  | { verb: "replace" | "del"; fdb: FdbEntry };

/** IpRouteError is a failed iproute operation: `failed to <verb> <thing> "<name>": <cause>`, with the tool's stderr. */
export class IpRouteError extends Error {
  readonly stderr: string;
  /** failedOp is the index, in the transaction, of the change the batch stopped at (the ones before it were applied). */
  readonly failedOp: number | undefined;
  constructor(msg: string, options: { cause?: unknown; stderr?: string; failedOp?: number } = {}) {
    super(msg, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "IpRouteError";
    this.stderr = options.stderr ?? "";
    this.failedOp = options.failedOp;
  }
}

/** hostPrefix is an address's host prefix length: 32, or 128 for IPv6. */
export function hostPrefix(ip: string): 32 | 128 {
  return ip.includes(":") ? 128 : 32;
}

/** withPrefix spells a destination as a CIDR (a bare address gets its host prefix). */
export function withPrefix(dst: string): string {
  return dst === "default" || dst.includes("/") ? dst : `${dst}/${hostPrefix(dst)}`;
}

/** routeFamily is a route's address family. */
export function routeFamily(r: Pick<Route, "dst" | "via">): 4 | 6 {
  return r.dst.includes(":") || (r.dst === "default" && (r.via ?? "").includes(":")) ? 6 : 4;
}
