/**
 * What doctor reads on a lab node to narrow a failure: sysctls, the FORWARD policy, the uplink's
 * MTU, the routing agent's plan against the kernel as it is (its drift), BIRD's sessions, the
 * proxy (process, service rules) and the agents' reported errors. Read only: nothing here changes
 * the node.
 */
import type { NodeFacts } from "../../doctor/diagnose.js";
import type { Executor } from "../../exec/types.js";
import { readJson } from "../../util/jsonfile.js";
import { pidLooksLike } from "../../util/proc.js";
import { type AgentKind, type AgentStatus, PODNET_BIN } from "../agents.js";
import type { LabConfig } from "../config.js";
import { type LabPaths, nodeNetns } from "../layout.js";
import { nodeRouting } from "../network.js";
import type { RoutingDesired } from "../../routing/plan.js";
import { POLICY } from "../policy.js";
import { PROXY } from "../proxy.js";
import { QOS } from "../qos.js";

const UPLINK = "eth0";

async function out(exec: Executor, netns: string, argv: string[]): Promise<string> {
  try {
    return (await exec.run({ argv, netns, timeoutMs: 15_000 })).stdout;
  } catch {
    return "";
  }
}

const alive = (s: AgentStatus | undefined) => s !== undefined && pidLooksLike(s.pid, PODNET_BIN);

/** serviceRulesPresent says whether the node's proxy rules are in the kernel: KUBE-SERVICES has rules, or nftables' services chain a map. */
async function serviceRulesPresent(exec: Executor, netns: string, cfg: LabConfig): Promise<boolean> {
  if (cfg.proxyMode === "nftables") return /vmap/.test(await out(exec, netns, ["nft", "list", "chain", "ip", "kube-proxy", "services"]));
  const save = await out(exec, netns, [cfg.iptables === "legacy" ? "iptables-legacy-save" : "iptables-nft-save", "-t", "nat"]);
  return /^-A KUBE-SERVICES /m.test(save);
}

/** routingDrift lists what the node's routing agent would change now, and BIRD's state in bgp mode. */
async function routingDrift(
  exec: Executor,
  paths: LabPaths,
  cfg: LabConfig,
  desired: RoutingDesired,
): Promise<Pick<NodeFacts, "drift" | "bird">> {
  const agent = nodeRouting(exec, paths, cfg, desired.self.name);
  const observed = await agent.observe(desired);
  const ch = agent.plan(desired, observed);
  const drift = ch.tx.render().flatMap((s) =>
    s.text
      .split("\n")
      .filter(Boolean)
      .map((l) => `${s.title.split(" ")[0]} ${l}`),
  );
  drift.push(...(agent.pending(desired, observed) ?? []));
  if (cfg.routing.mode !== "bgp") return { drift };
  const protocols = await out(exec, nodeNetns(cfg.name, desired.self.name), ["birdc", "-s", agent.bird.socket, "show", "protocols"]);
  const down = protocols
    .split("\n")
    .filter((l) => /\sBGP\s/.test(l) && !/Established/.test(l))
    .map((l) => l.trim().replace(/\s+/g, " "));
  return {
    drift: ch.bird !== undefined && observed.bird?.running ? [...drift, "bird: load a new bird.conf"] : drift,
    bird: { running: observed.bird?.running ?? false, down },
  };
}

/** nodeFacts reads one node. */
export async function nodeFacts(
  exec: Executor,
  paths: LabPaths,
  cfg: LabConfig,
  desired: RoutingDesired | undefined,
  node: string,
): Promise<NodeFacts> {
  const netns = nodeNetns(cfg.name, node);
  const [sysctls, forward, link, rules, routing] = await Promise.all([
    out(exec, netns, ["sysctl", "-n", "net.ipv4.ip_forward", `net.ipv4.conf.${UPLINK}.rp_filter`, "net.ipv4.conf.all.rp_filter"]),
    out(exec, netns, [cfg.iptables === "legacy" ? "iptables-legacy" : "iptables-nft", "-S", "FORWARD"]),
    out(exec, netns, ["ip", "-j", "link", "show", "dev", UPLINK]),
    serviceRulesPresent(exec, netns, cfg),
    desired ? routingDrift(exec, paths, cfg, desired) : Promise.resolve({ drift: [] }),
  ]);
  const [fwd, rpUplink, rpAll] = sysctls.trim().split("\n").map(Number);
  const status = (k: AgentKind) => readJson<AgentStatus>(k.statusFile(paths, node));
  const proxy = status(PROXY);
  const agentErrors = [POLICY, QOS].flatMap((k) => {
    const s = status(k);
    return s?.error ? [`${k.name}: ${s.error}`] : [];
  });
  return {
    node,
    ipForward: fwd === 1,
    rpFilter: { uplink: rpUplink ?? 0, all: rpAll ?? 0 },
    forwardPolicy: /^-P FORWARD (\S+)/m.exec(forward)?.[1] ?? "ACCEPT",
    uplink: { name: UPLINK, mtu: (JSON.parse(link || "[]") as { mtu?: number }[])[0]?.mtu ?? 0 },
    ...routing,
    proxy: { running: alive(proxy), rules, ...(proxy?.error ? { error: proxy.error } : {}) },
    agentErrors,
  };
}

/** agentProblems lists what is wrong with a node's agents: dead, or reporting an error. */
export function agentProblems(paths: LabPaths, node: string): string[] {
  return [PROXY, POLICY, QOS].flatMap((k) => {
    const s = readJson<AgentStatus>(k.statusFile(paths, node));
    if (!alive(s)) return [`${node}: the ${k.name} is not running`];
    return s?.error ? [`${node}: ${k.name}: ${s.error}`] : [];
  });
}
