/** The bridge mode commands: ADD, DEL and CHECK of one attachment, with rollback of partial work. */
import { statSync } from "node:fs";
import { startEarly } from "../exec/early.js";
import type { EarlyCommand, ExecError, Executor } from "../exec/types.js";
import {
  type AttachPlan,
  masqRules,
  renderHostBatch,
  renderMasq,
  renderPodBatch,
} from "./bridge-plan.js";
import type { CniEnv } from "./env.js";
import { type IpamClient, ipamClient } from "./ipam-client.js";
import { requestedIps, requestedMac } from "./static.js";
import { checkContainerId, checkLinkName, hostVethName, masqChainName, randomMac } from "./names.js";
import { CniCode, CniError, type IPConfig, type NetConf, type Result, type Route } from "./types.js";

/** HOST_IP_BATCH is the node side's `ip`: every ADD and DEL starts one (an agent keeps one ready). */
export const HOST_IP_BATCH = { argv: ["ip", "-j", "-batch", "-"], netns: null } as const;

/** PluginContext is one invocation: executor, environment and network config. */
export interface PluginContext {
  exec: Executor;
  env: CniEnv;
  conf: NetConf;
}

function bridgeName(conf: NetConf): string {
  const b = conf.bridge ?? "cni0";
  checkLinkName("bridge name", b);
  return b;
}

/** applyBatch feeds an `ip -batch` its input, failing with the verb in the message. */
export async function applyBatch(ip: EarlyCommand, verb: string, batch: string): Promise<void> {
  try {
    await ip.feed(batch);
  } catch (e) {
    throw new CniError(
      CniCode.Internal,
      `failed to ${verb}: ${(e as ExecError).stderr?.trim() || (e as Error).message}`,
    );
  }
}

/** ensureBridge creates the bridge (another ADD may have just done so). */
async function ensureBridge(ctx: PluginContext, bridge: string): Promise<void> {
  const r = await ctx.exec.run({
    argv: ["ip", "link", "add", "name", bridge, "address", randomMac(), "type", "bridge"],
    netns: null,
    okCodes: [0, 2],
  });
  if (r.code !== 0 && !/File exists/.test(r.stderr))
    throw new CniError(CniCode.Internal, `failed to create bridge "${bridge}": ${r.stderr.trim()}`);
}

/**
 * attachToBridge plugs the host end into the bridge and returns the bridge's MAC, in one `ip -batch`
 * that ends by printing the bridge. The batch assumes the bridge exists (its first line names it);
 * only when it does not — the node's first pod — is the bridge created and the batch run again.
 */
async function attachToBridge(ctx: PluginContext, hostIp: EarlyCommand, plan: AttachPlan): Promise<string> {
  const batch = `${renderHostBatch(plan)}link show dev ${plan.bridge}\n`;
  const attempt = () =>
    hostIp
      .feed(batch)
      .catch((e: ExecError) => ({ code: e.code ?? -1, stdout: "", stderr: e.stderr || e.message }));
  let r = await attempt();
  if (r.code !== 0 && r.stderr.includes(`Cannot find device "${plan.bridge}"`) && /Command failed -:1\b/.test(r.stderr)) {
    await ensureBridge(ctx, plan.bridge);
    r = await attempt();
  }
  if (r.code !== 0)
    throw new CniError(CniCode.Internal, `failed to attach "${plan.hostVeth}" to bridge "${plan.bridge}": ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { address?: string }[])[0]?.address ?? "";
}

/** FORBID_NETNS_ENV names a netns inode the plugin must never change (the lab passes the root namespace's). */
export const FORBID_NETNS_ENV = "PODNET_CNI_FORBID_NETNS_INODE";

function refuseRootNetns(): void {
  const forbidden = process.env[FORBID_NETNS_ENV];
  if (!forbidden) return;
  if (String(statSync("/proc/self/ns/net").ino) === forbidden)
    throw new CniError(
      CniCode.Internal,
      `refusing to change network namespace inode ${forbidden} (${FORBID_NETNS_ENV})`,
    );
}

/** setMasq adds (or, with remove, deletes) the masquerade rules of an attachment's addresses (by default the call's own attachment). */
export async function setMasq(
  ctx: PluginContext,
  ips: Result["ips"],
  remove: boolean,
  owner: { containerId: string; ifname: string } = ctx.env,
): Promise<void> {
  const { conf } = ctx;
  const chain = masqChainName(conf.name, owner.containerId, owner.ifname);
  const rules = masqRules(chain, ips ?? [], `name: ${conf.name} id: ${owner.containerId}`);
  for (const family of [4, 6] as const) {
    const text = renderMasq(rules[family], family, remove);
    if (!text) continue;
    const argv = [family === 4 ? "iptables-restore" : "ip6tables-restore", "-w", "5", "--noflush"];
    await ctx.exec.run({ argv, netns: null, stdin: text, okCodes: remove ? [0, 1, 2, 4] : [0] });
  }
}

/** Wiring is what a data-path mode needs to wire an attachment whose addresses are allocated. */
export interface Wiring {
  hostVeth: string;
  podMac: string | undefined;
  ips: IPConfig[];
  routes: Route[];
  /** hostIp is `ip -j -batch -` on the node's side, started before the addresses were allocated. */
  hostIp: EarlyCommand;
  /** podIp is `ip -batch -` in the pod's namespace, started likewise. */
  podIp: EarlyCommand;
}

/**
 * cmdAddWith is ADD around a mode's wiring: checks, allocation (static IPs and MAC honoured),
 * masquerade, and on any failure the rollback of the veth, rules and addresses. The wiring's two
 * `ip` processes start first, so their start-up overlaps the allocation.
 */
export async function cmdAddWith(ctx: PluginContext, wire: (w: Wiring) => Promise<Omit<Result, "cniVersion">>): Promise<Result> {
  const { env, conf } = ctx;
  checkContainerId(env.containerId);
  refuseRootNetns();
  const hostVeth = hostVethName(env.containerId, env.ifname);
  const ipam = ipamClient(ctx.exec, env, conf);
  const podMac = requestedMac(conf, env);
  const hostIp = startEarly(ctx.exec, HOST_IP_BATCH);
  const podIp = startEarly(ctx.exec, { argv: ["ip", "-batch", "-"], netns: env.netns });
  try {
    const alloc = await ipam.add(requestedIps(conf, env));
    if (alloc.ips.length === 0) throw new CniError(CniCode.Internal, "IPAM returned no addresses");
    try {
      const r = await wire({ hostVeth, podMac, ips: alloc.ips, routes: alloc.routes, hostIp, podIp });
      if (conf.ipMasq) await setMasq(ctx, alloc.ips, false);
      return { cniVersion: conf.cniVersion, ...r, dns: conf.dns ?? {} };
    } catch (e) {
      await rollback(ctx, ipam, hostVeth, alloc.ips);
      throw e;
    }
  } finally {
    hostIp.cancel();
    podIp.cancel();
  }
}

/** cmdAdd wires a pod into the bridge and returns the CNI result; on failure it undoes everything. */
export function cmdAdd(ctx: PluginContext): Promise<Result> {
  const { env, conf } = ctx;
  const bridge = bridgeName(conf);
  return cmdAddWith(ctx, async ({ hostVeth, podMac, ips, routes, hostIp, podIp }) => {
    const plan: AttachPlan = {
      bridge,
      bridgeMac: "",
      hostVeth,
      hostMac: randomMac(),
      podIf: env.ifname,
      podMac: podMac ?? randomMac(),
      netnsPath: env.netns,
      mtu: conf.mtu ?? 1500,
      hairpin: conf.hairpinMode ?? false,
      isGateway: conf.isGateway ?? false,
      ips,
      routes: conf.isDefaultGateway ? [...routes, { dst: "0.0.0.0/0" }] : routes,
    };
    plan.bridgeMac = await attachToBridge(ctx, hostIp, plan);
    await applyBatch(podIp, `configure "${env.ifname}" in "${env.netns}"`, renderPodBatch(plan));
    return {
      interfaces: [
        { name: bridge, mac: plan.bridgeMac },
        { name: plan.hostVeth, mac: plan.hostMac },
        { name: plan.podIf, mac: plan.podMac, sandbox: env.netns },
      ],
      ips: ips.map((i) => ({ ...i, interface: 2 })),
      routes: plan.routes,
    };
  });
}

/** deleteHostLink deletes a link on the node's side; a missing link fails with "Cannot find device". */
function deleteHostLink(ctx: PluginContext, name: string): Promise<{ code: number; stderr: string }> {
  return startEarly(ctx.exec, HOST_IP_BATCH)
    .feed(`link del ${name}\n`)
    .catch((e: ExecError) => ({ code: e.code ?? -1, stderr: e.stderr || e.message }));
}

async function rollback(ctx: PluginContext, ipam: IpamClient, hostVeth: string, ips: IPConfig[]): Promise<void> {
  await deleteHostLink(ctx, hostVeth);
  if (ctx.conf.ipMasq) await setMasq(ctx, ips, true).catch(() => {});
  await ipam.del().catch(() => {});
}

/** cmdDel removes an attachment; it succeeds when parts (or all) of it are already gone. */
export async function cmdDel(ctx: PluginContext): Promise<void> {
  const { env, conf } = ctx;
  checkContainerId(env.containerId);
  refuseRootNetns();
  bridgeName(conf);
  const ipam = ipamClient(ctx.exec, env, conf);
  const held = await ipam.held();
  const hostVeth = hostVethName(env.containerId, env.ifname);
  const r = await deleteHostLink(ctx, hostVeth);
  if (r.code !== 0 && !/Cannot find device/.test(r.stderr))
    throw new CniError(CniCode.Internal, `failed to delete link "${hostVeth}": ${r.stderr.trim()}`);
  if (conf.ipMasq && held.length > 0)
    await setMasq(
      ctx,
      held.map((a) => ({ address: `${a}/${a.includes(":") ? 128 : 32}` })),
      true,
    );
  await ipam.del();
}

/** cmdCheck verifies that the attachment is still as ADD left it. */
export async function cmdCheck(ctx: PluginContext): Promise<void> {
  const { env, conf } = ctx;
  checkContainerId(env.containerId);
  const bridge = bridgeName(conf);
  const hostVeth = hostVethName(env.containerId, env.ifname);
  const link = await ctx.exec.run({
    argv: ["ip", "-j", "link", "show", "dev", hostVeth],
    netns: null,
    okCodes: [0, 1],
  });
  const master = link.code === 0 ? (JSON.parse(link.stdout) as { master?: string }[])[0]?.master : undefined;
  if (master !== bridge)
    throw new CniError(
      CniCode.Internal,
      `host interface "${hostVeth}" is ${link.code === 0 ? `not on bridge "${bridge}"` : "missing"}`,
    );
  const want = (conf.prevResult?.ips ?? []).map((i) => i.address);
  const inPod = await ctx.exec.run({
    argv: ["ip", "-j", "address", "show", "dev", env.ifname],
    netns: env.netns,
    okCodes: [0, 1],
  });
  if (inPod.code !== 0)
    throw new CniError(CniCode.Internal, `interface "${env.ifname}" is missing in "${env.netns}"`);
  const have =
    (JSON.parse(inPod.stdout) as { addr_info?: { local: string; prefixlen: number }[] }[])[0]?.addr_info?.map(
      (a) => `${a.local}/${a.prefixlen}`,
    ) ?? [];
  for (const a of want)
    if (!have.includes(a))
      throw new CniError(CniCode.Internal, `address ${a} is missing on "${env.ifname}" in "${env.netns}"`);
  const held = await ipamClient(ctx.exec, env, conf).held();
  for (const a of want)
    if (conf.ipam?.type === "podnet" && !held.includes(a.split("/")[0]!))
      throw new CniError(CniCode.Internal, `address ${a} is not allocated to container "${env.containerId}"`);
}
