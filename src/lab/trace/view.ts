/**
 * What trace reads of a lab node, once per trace: its iptables ruleset (`iptables-save` of the
 * node's flavour) and ipsets (`ipset save`), its addresses, and the kernel's own route for a
 * packet (`ip -j route get`, with the interface it came in on). Read only.
 */
import type { Executor } from "../../exec/types.js";
import { parseIpsetSave, parseSave, type RuleSource } from "../../netfilter/index.js";
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
  rules: RuleSource;
  sets: Map<string, IpSet>;
  local(ip: string): boolean;
  /** addressOf is the first IPv4 address of a device (what MASQUERADE gives a packet leaving by it). */
  addressOf(dev: string): string | undefined;
  route(dst: string, src: string, iif?: string): Promise<KernelRoute>;
}

/** readNode reads a node's ruleset, sets and addresses. */
export async function readNode(exec: Executor, cfg: LabConfig, node: string): Promise<NodeView> {
  const netns = nodeNetns(cfg.name, node);
  const save = cfg.iptables === "legacy" ? "iptables-legacy-save" : "iptables-nft-save";
  const [rules, sets, addrs] = await Promise.all([
    exec.run({ argv: [save], netns }),
    exec.run({ argv: ["ipset", "save"], netns }),
    exec.run({ argv: ["ip", "-j", "addr", "show"], netns }),
  ]);
  const links = JSON.parse(addrs.stdout || "[]") as { ifname?: string; addr_info?: { local?: string; family?: string }[] }[];
  const mine = new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? "")));

  return {
    node,
    rules: parseSave(rules.stdout),
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
