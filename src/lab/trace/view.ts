/**
 * What trace reads of a lab node, once per trace: its iptables ruleset (`iptables-save` of the
 * node's flavour), its nftables ruleset (`nft -j list ruleset`, with `nft -a` for the rules'
 * texts; iptables-nft's own tables are left to iptables-save), its ipsets (`ipset save`), its
 * addresses, and the kernel's own route for a packet (`ip -j route get`, with the interface it
 * came in on). Read only.
 */
import type { Executor } from "../../exec/types.js";
import { type HookChain, iptablesChains, nftChains, parseIpsetSave, parseNftRuleset, parseSave } from "../../netfilter/index.js";
import type { IpSet } from "../../netfilter/ipset/types.js";
import type { LabConfig } from "../config.js";
import { nodeNetns } from "../layout.js";

/** KernelRoute is the kernel's answer to `ip route get`: the device, and the gateway if any (none: no route). */
export interface KernelRoute {
  dev?: string;
  gateway?: string;
  /** prefsrc is the address the node would give a packet it sends (or masquerades) this way. */
  prefsrc?: string;
  local: boolean;
  error?: string;
}

/** NodeView is one node as a trace sees it. */
export interface NodeView {
  node: string;
  /** chains are the node's iptables built-in chains and nftables base chains, for IPv4 packets. */
  chains: HookChain[];
  sets: Map<string, IpSet>;
  local(ip: string): boolean;
  /** addressOf is the first IPv4 address of a device (what MASQUERADE gives a packet leaving by it). */
  addressOf(dev: string): string | undefined;
  route(dst: string, src: string, iif?: string): Promise<KernelRoute>;
}

/** XTABLES are the tables iptables-nft keeps in nftables: iptables-save reads them. */
const XTABLES = new Set(["filter", "nat", "mangle", "raw", "security"]);

/** readNode reads a node's ruleset, sets and addresses. */
export async function readNode(exec: Executor, cfg: LabConfig, node: string): Promise<NodeView> {
  const netns = nodeNetns(cfg.name, node);
  const save = cfg.iptables === "legacy" ? "iptables-legacy-save" : "iptables-nft-save";
  const [rules, sets, addrs, nftJson, nftText] = await Promise.all([
    exec.run({ argv: [save], netns }),
    exec.run({ argv: ["ipset", "save"], netns }),
    exec.run({ argv: ["ip", "-j", "addr", "show"], netns }),
    exec.run({ argv: ["nft", "-j", "list", "ruleset"], netns }),
    exec.run({ argv: ["nft", "-a", "list", "ruleset"], netns }),
  ]);
  const links = JSON.parse(addrs.stdout || "[]") as { ifname?: string; addr_info?: { local?: string; family?: string }[] }[];
  const mine = new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? "")));

  return {
    node,
    chains: [
      ...iptablesChains(parseSave(rules.stdout)),
      ...nftChains(
        parseNftRuleset(nftJson.stdout, nftText.stdout),
        4,
        (family, table) => cfg.iptables !== "legacy" && family === "ip" && XTABLES.has(table),
      ),
    ],
    sets: parseIpsetSave(sets.stdout, ""),
    local: (ip) => mine.has(ip) || ip.startsWith("127."),
    addressOf: (dev) => links.find((l) => l.ifname === dev)?.addr_info?.find((a) => a.family === "inet")?.local,
    route: async (dst, src, iif) => {
      const argv = ["ip", "-j", "route", "get", dst, ...(iif ? ["from", src, "iif", iif] : [])];
      try {
        type Raw = { dev?: string; gateway?: string; prefsrc?: string; type?: string };
        const r = (JSON.parse((await exec.run({ argv, netns })).stdout) as Raw[])[0];
        return {
          ...(r?.dev ? { dev: r.dev } : {}),
          ...(r?.gateway ? { gateway: r.gateway } : {}),
          ...(r?.prefsrc ? { prefsrc: r.prefsrc } : {}),
          local: r?.type === "local",
        };
      } catch (e) {
        return { local: false, error: ((e as { stderr?: string }).stderr ?? (e as Error).message).trim() };
      }
    },
  };
}
