/**
 * What trace reads of a lab node, once per trace: its iptables rulesets (`iptables-save` and
 * `ip6tables-save` of the node's flavour), its nftables ruleset (`nft -j list ruleset`, with `nft
 * -a` for the rules' texts; iptables-nft's own tables are left to iptables-save), its ipsets
 * (`ipset save`), its addresses and the `-m recent` lists of ClientIP affinity; and as the walk
 * asks, the kernel's own route for a packet (`ip -j route get`, with the interface it came in on,
 * and who installed it: BIRD, the agent) and a VXLAN device's neighbours and FDB entries. Read only.
 */
import type { Executor } from "../../exec/types.js";
import { type HookChain, iptablesChains, nftChains, parseIpsetSave, parseNftRuleset, parseSave } from "../../netfilter/index.js";
import type { IpSet } from "../../netfilter/ipset/types.js";
import type { LabConfig } from "../config.js";
import { cidrContains, parseCIDR } from "../../util/ip.js";
import { nodeNetns } from "../layout.js";

/** KernelRoute is the kernel's answer to `ip route get`: the device, and the gateway if any (none: no route). */
export interface KernelRoute {
  dev?: string;
  gateway?: string;
  /** prefsrc is the address the node would give a packet it sends (or masquerades) this way. */
  prefsrc?: string;
  local: boolean;
  error?: string;
  /** protocol is who installed the route the kernel chose (`bird`, `kernel`, `static`…), from the routing table. */
  protocol?: string;
}

/** Tunnel is how a VXLAN device reaches a next hop: its permanent neighbour's MAC, and the FDB entry's remote VTEP for that MAC. */
export interface Tunnel {
  mac?: string;
  remote?: string;
}

/** NodeView is one node as a trace sees it. */
export interface NodeView {
  node: string;
  /** chains are the node's iptables built-in chains and nftables base chains, by the packet's IP family. */
  chains: Record<4 | 6, HookChain[]>;
  sets: Map<string, IpSet>;
  local(ip: string): boolean;
  /** addressOf is a device's first address of a family (what MASQUERADE gives a packet leaving by it). */
  addressOf(dev: string, family: 4 | 6): string | undefined;
  route(dst: string, src: string, iif?: string): Promise<KernelRoute>;
  /** recent says whether a `-m recent` list (kube-proxy's ClientIP affinity in iptables mode) holds an address. */
  recent(name: string, ip: string): boolean;
  /** tunnel reads the neighbour and FDB entries a VXLAN device uses for a next hop. */
  tunnel(dev: string, via: string): Promise<Tunnel>;
}

/** XTABLES are the tables iptables-nft keeps in nftables: iptables-save reads them. */
const XTABLES = new Set(["filter", "nat", "mangle", "raw", "security"]);

type RawRoute = { dst?: string; dev?: string; gateway?: string; prefsrc?: string; type?: string; protocol?: string };

/** protocolOf is the protocol of the most specific route of a table holding dst (the route `ip route get` chose). */
export function protocolOf(table: RawRoute[], dst: string): string | undefined {
  let best: { bits: number; protocol?: string } | undefined;
  for (const r of table) {
    const cidr = r.dst === "default" ? (dst.includes(":") ? "::/0" : "0.0.0.0/0") : (r.dst ?? "");
    const c = parseCIDR(cidr.includes("/") ? cidr : `${cidr}/${cidr.includes(":") ? 128 : 32}`);
    if (!c || !cidrContains(c, dst) || (best && c.prefix <= best.bits)) continue;
    best = { bits: c.prefix, ...(r.protocol ? { protocol: r.protocol } : {}) };
  }
  return best?.protocol;
}

/** parseRecent reads `grep -r "" /proc/net/xt_recent` output: each list's remembered source addresses. */
export function parseRecent(text: string): Map<string, Set<string>> {
  const lists = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const m = /xt_recent\/([^:]+):src=(\S+)/.exec(line);
    if (!m) continue;
    const [, name = "", ip = ""] = m;
    lists.set(name, (lists.get(name) ?? new Set()).add(ip));
  }
  return lists;
}

/** tunnelOf finds a VXLAN next hop's neighbour MAC and the FDB entry's remote for it. */
export function tunnelOf(neigh: { dst?: string; lladdr?: string }[], fdb: { mac?: string; dst?: string }[], via: string): Tunnel {
  const mac = neigh.find((n) => n.dst === via)?.lladdr;
  const remote = mac ? fdb.find((f) => f.mac === mac && f.dst)?.dst : undefined;
  return { ...(mac ? { mac } : {}), ...(remote ? { remote } : {}) };
}

/** readNode reads a node's rulesets, sets and addresses; routes, neighbours and FDB entries as the walk asks. */
export async function readNode(exec: Executor, cfg: LabConfig, node: string): Promise<NodeView> {
  const netns = nodeNetns(cfg.name, node);
  const flavour = cfg.iptables === "legacy" ? "legacy" : "nft";
  const read = async (argv: string[]) => (await exec.run({ argv, netns })).stdout;
  const recent = exec
    .run({ argv: ["grep", "-r", "", "/proc/net/xt_recent"], netns, okCodes: [0, 1, 2] })
    .then((r) => parseRecent(r.stdout));
  const [rules4, rules6, sets, addrs, nftJson, nftText, lists] = await Promise.all([
    read([`iptables-${flavour}-save`]),
    read([`ip6tables-${flavour}-save`]),
    read(["ipset", "save"]),
    read(["ip", "-j", "addr", "show"]),
    read(["nft", "-j", "list", "ruleset"]),
    read(["nft", "-a", "list", "ruleset"]),
    recent,
  ]);
  const links = JSON.parse(addrs || "[]") as { ifname?: string; addr_info?: { local?: string; family?: string }[] }[];
  const mine = new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? "")));
  const nft = parseNftRuleset(nftJson, nftText);
  const xtables = (family: string, table: string) => flavour === "nft" && (family === "ip" || family === "ip6") && XTABLES.has(table);
  const once = new Map<string, Promise<unknown>>();
  const cached = <T>(argv: string[]): Promise<T> => {
    const key = argv.join(" ");
    if (!once.has(key))
      once.set(
        key,
        read(argv).then((out) => JSON.parse(out || "[]") as T),
      );
    return once.get(key) as Promise<T>;
  };
  return {
    node,
    chains: {
      4: [...iptablesChains(parseSave(rules4)), ...nftChains(nft, 4, xtables)],
      6: [...iptablesChains(parseSave(rules6)), ...nftChains(nft, 6, xtables)],
    },
    sets: parseIpsetSave(sets, ""),
    local: (ip) => mine.has(ip) || ip.startsWith("127.") || ip === "::1",
    addressOf: (dev, family) =>
      links
        .find((l) => l.ifname === dev)
        ?.addr_info?.find((a) => a.family === (family === 6 ? "inet6" : "inet") && !a.local?.startsWith("fe80"))?.local,
    route: async (dst, src, iif) => {
      const argv = ["ip", "-j", "route", "get", dst, ...(iif ? ["from", src, "iif", iif] : [])];
      try {
        const r = (JSON.parse(await read(argv)) as RawRoute[])[0];
        const protocol = protocolOf(await cached<RawRoute[]>(["ip", "-j", dst.includes(":") ? "-6" : "-4", "route", "show"]), dst);
        return {
          ...(r?.dev ? { dev: r.dev } : {}),
          ...(r?.gateway ? { gateway: r.gateway } : {}),
          ...(r?.prefsrc ? { prefsrc: r.prefsrc } : {}),
          ...(protocol && r?.type !== "local" ? { protocol } : {}),
          local: r?.type === "local",
        };
      } catch (e) {
        return { local: false, error: ((e as { stderr?: string }).stderr ?? (e as Error).message).trim() };
      }
    },
    recent: (name, ip) => lists.get(name)?.has(ip) ?? false,
    tunnel: async (dev, via) =>
      tunnelOf(await cached(["ip", "-j", "neigh", "show", "dev", dev]), await cached(["bridge", "-j", "fdb", "show", "dev", dev]), via),
  };
}
