/**
 * The CNI commands around a data path: ADD (checks, allocation with static IPs and MAC honoured,
 * wiring, masquerade, and on any failure the rollback of what this ADD made), DEL (succeeds when
 * parts or all of the attachment are gone), CHECK and GC. The node side's and the pod's `ip`
 * processes start first, so their start-up overlaps the allocation.
 */
import { statSync } from "node:fs";
import { startEarly } from "../exec/early.js";
import type { EarlyCommand, Executor } from "../exec/types.js";
import { RealNodeKernel } from "../dataplane/index.js";
import { IpRouteError, IpTransaction, type Link, RealIpNode, startBatch } from "../iproute/index.js";
import { ipamPools } from "../ipam/pools.js";
import { bridgeDataPath } from "./bridge.js";
import { type Attachment, type DataPath, FORBID_NETNS_ENV, HOST_IP_BATCH } from "./datapath.js";
import type { CniEnv } from "./env.js";
import { ipamClient } from "./ipam-client.js";
import { type MasqOwner, setMasq } from "./masq.js";
import { checkContainerId, hostVethName, podAlias, podDns, randomMac } from "./names.js";
import { checkPodNetns } from "./netns.js";
import { ROUTED } from "./routed.js";
import { requestedIps, requestedMac } from "./static.js";
import { CniCode, CniError, type IPConfig, type NetConf, type Result } from "./types.js";

/** PluginContext is one invocation: executor, environment and network config. */
export interface PluginContext {
  exec: Executor;
  env: CniEnv;
  conf: NetConf;
}

/** dataPath picks the config's mode. */
export function dataPath(conf: NetConf): DataPath {
  return conf.mode === "routed" ? ROUTED : bridgeDataPath(conf);
}

function refuseRootNetns(): void {
  const forbidden = process.env[FORBID_NETNS_ENV];
  if (forbidden && String(statSync("/proc/self/ns/net").ino) === forbidden)
    throw new CniError(CniCode.Internal, `refusing to change network namespace inode ${forbidden} (${FORBID_NETNS_ENV})`);
}

const owner = (ctx: PluginContext, a: { containerId: string; ifname: string } = ctx.env): MasqOwner => ({
  network: ctx.conf.name,
  containerId: a.containerId,
  ifname: a.ifname,
});
const hostCidr = (ip: string): IPConfig => ({ address: `${ip}/${ip.includes(":") ? 128 : 32}` });

/** cmdAdd wires an attachment with the config's data path and returns the CNI result; on failure it undoes its own work, and only that. */
export async function cmdAdd(ctx: PluginContext): Promise<Result> {
  const { env, conf, exec } = ctx;
  checkContainerId(env.containerId);
  refuseRootNetns();
  checkPodNetns(env.netns);
  const dp = dataPath(conf);
  const hostVeth = hostVethName(env.containerId, env.ifname);
  const ipam = ipamClient(exec, env, conf);
  const podMac = requestedMac(conf, env);
  const hostIp = startEarly(exec, HOST_IP_BATCH);
  const podIp = startBatch(exec, env.netns);
  try {
    const alloc = await ipam.add(requestedIps(conf, env));
    if (alloc.ips.length === 0) throw new CniError(CniCode.Internal, "IPAM returned no addresses");
    const hostAlias = podAlias(env.args);
    const a: Attachment = {
      hostVeth,
      ...(hostAlias ? { hostAlias } : {}),
      hostMac: randomMac(),
      podIf: env.ifname,
      podMac: podMac ?? randomMac(),
      netns: env.netns,
      mtu: conf.mtu ?? 1500,
      ips: alloc.ips,
      routes: alloc.routes,
    };
    const wiring = { created: false };
    try {
      const shown = await wireHost(ctx, dp, a, hostIp, wiring);
      await new RealIpNode(exec, env.netns).applyStarted(podIp, dp.podPlan(a)).catch((e: IpRouteError) => {
        throw new CniError(CniCode.Internal, `failed to configure "${env.ifname}" in "${env.netns}": ${e.stderr.trim() || e.message}`);
      });
      if (conf.ipMasq) await setMasq(exec, owner(ctx), alloc.ips, false);
      return { cniVersion: conf.cniVersion, ...dp.result(a, shown), dns: podDns(conf.dns, env.args) };
    } catch (e) {
      // Undo only what this ADD made: a veth that existed already, or addresses it held already
      // (a repeated ADD), belong to the attachment that is there.
      if (wiring.created) await deleteHostLink(ctx, hostVeth);
      if (!alloc.reused) await ipam.del().catch(() => {});
      throw e;
    }
  } finally {
    hostIp.cancel();
    podIp.cancel();
  }
}

/**
 * wireHost applies the node side, through the `ip` started early (and once more after the data
 * path repaired what was missing), and its sysctls; `wiring.created` tells whether this ADD's batch
 * got as far as creating the veth pair (the batch stops at the first failing change).
 */
async function wireHost(
  ctx: PluginContext,
  dp: DataPath,
  a: Attachment,
  started: EarlyCommand,
  wiring: { created: boolean },
): Promise<Link[]> {
  const host = new RealIpNode(ctx.exec, null);
  const plan = dp.hostPlan(a);
  const vethAt = plan.ops.findIndex((op) => "link" in op && op.verb === "add" && op.link.name === a.hostVeth);
  const madeVeth = (e: unknown) => e instanceof IpRouteError && e.failedOp !== undefined && e.failedOp > vethAt;
  const failed = (e: unknown): CniError => {
    wiring.created = madeVeth(e);
    const err = e as IpRouteError;
    if (err.failedOp === vethAt && /File exists/.test(err.stderr ?? ""))
      return new CniError(
        CniCode.Internal,
        `failed to add interface "${a.podIf}" of container "${ctx.env.containerId}": it exists already (host end "${a.hostVeth}", or "${a.podIf}" in "${a.netns}"); DEL the attachment first`,
      );
    return new CniError(CniCode.Internal, `failed to wire "${a.hostVeth}" on the node: ${err.stderr?.trim() || err.message}`);
  };
  let shown: Link[];
  try {
    shown = await host.applyStarted(started, plan);
  } catch (e) {
    if (!(e instanceof IpRouteError) || madeVeth(e) || !(await dp.repair?.(host, e))) throw failed(e);
    shown = await host.apply(plan).catch((again: unknown) => {
      throw failed(again);
    });
  }
  wiring.created = true;
  const sysctls = dp.hostSysctls?.(a);
  if (sysctls) await new RealNodeKernel(ctx.exec, null, "system").apply(sysctls);
  return shown;
}

/** deleteHostLink deletes a link on the node's side; a missing link fails with "Cannot find device". */
function deleteHostLink(ctx: PluginContext, name: string): Promise<{ code: number; stderr: string }> {
  return new RealIpNode(ctx.exec, null)
    .applyStarted(startEarly(ctx.exec, HOST_IP_BATCH), new IpTransaction().delLink(name))
    .then(() => ({ code: 0, stderr: "" }))
    .catch((e: IpRouteError) => ({ code: 1, stderr: e.stderr || e.message }));
}

/** cmdDel removes an attachment; it succeeds when parts (or all) of it are already gone. */
export async function cmdDel(ctx: PluginContext): Promise<void> {
  const { env, conf } = ctx;
  checkContainerId(env.containerId);
  refuseRootNetns();
  dataPath(conf);
  const ipam = ipamClient(ctx.exec, env, conf);
  const held = await ipam.held();
  const hostVeth = hostVethName(env.containerId, env.ifname);
  const r = await deleteHostLink(ctx, hostVeth);
  if (r.code !== 0 && !/Cannot find device/.test(r.stderr))
    throw new CniError(CniCode.Internal, `failed to delete link "${hostVeth}": ${r.stderr.trim()}`);
  if (conf.ipMasq && held.length > 0) await setMasq(ctx.exec, owner(ctx), held.map(hostCidr), true);
  await ipam.del();
}

/** cmdCheck verifies that the attachment is still as ADD left it: the node side, the pod's addresses, the allocation. */
export async function cmdCheck(ctx: PluginContext): Promise<void> {
  const { env, conf, exec } = ctx;
  checkContainerId(env.containerId);
  checkPodNetns(env.netns);
  const want = conf.prevResult?.ips ?? [];
  await dataPath(conf).checkHost(new RealIpNode(exec, null), hostVethName(env.containerId, env.ifname), want);
  const pod = await new RealIpNode(exec, env.netns).link(env.ifname);
  if (!pod) throw new CniError(CniCode.Internal, `interface "${env.ifname}" is missing in "${env.netns}"`);
  const have = pod.addresses.map((a) => a.cidr);
  for (const a of want)
    if (!have.includes(a.address))
      throw new CniError(CniCode.Internal, `address ${a.address} is missing on "${env.ifname}" in "${env.netns}"`);
  if (conf.ipam?.type !== "podnet") return;
  const held = await ipamClient(exec, env, conf).held();
  for (const a of want)
    if (!held.includes(a.address.split("/")[0]!))
      throw new CniError(CniCode.Internal, `address ${a.address} is not allocated to container "${env.containerId}"`);
}

/** cmdGc releases every address, link and masquerade rule that no valid attachment owns. */
export async function cmdGc(ctx: PluginContext): Promise<void> {
  const conf = ctx.conf as NetConf & Record<string, { containerID: string; ifname: string }[] | undefined>;
  const valid = conf["cni.dev/valid-attachments"] ?? conf["cni.dev/attachments"] ?? [];
  if (conf.ipam?.type !== "podnet") return;
  const dp = dataPath(conf);
  const keep = new Set(valid.map((a) => `${a.containerID}/${a.ifname}`));
  for (const { alloc } of ipamPools(conf.name, conf.ipam))
    for (const a of alloc.allocations()) {
      if (keep.has(`${a.containerId}/${a.ifname}`)) continue;
      await deleteHostLink(ctx, hostVethName(a.containerId, a.ifname));
      if (conf.ipMasq) await setMasq(ctx.exec, owner(ctx, a), [hostCidr(a.ip)], true);
      // Released by owner under the lock: if the address changed hands since the scan, it stays.
      await alloc.release(a.containerId, a.ifname);
    }
  // Host links that no valid attachment owns (an ADD killed mid-way, a lost record).
  const wanted = new Set(valid.map((a) => hostVethName(a.containerID, a.ifname)));
  for (const name of await dp.sweepable(new RealIpNode(ctx.exec, null))) if (!wanted.has(name)) await deleteHostLink(ctx, name);
}

/** cmdStatus fails with code 50 (cannot serve ADD) when the config has no pool or a pool is exhausted. */
export function cmdStatus(conf: NetConf): void {
  if (conf.ipam?.type !== "podnet") return;
  const pools = ipamPools(conf.name, conf.ipam);
  if (pools.length === 0) throw new CniError(CniCode.NotReady, "no address ranges yet (no pod CIDR for this node)");
  for (const p of pools) {
    const full = p.alloc.exhausted();
    if (full.length)
      throw new CniError(CniCode.NotReady, `IPAM exhausted in ${full.join("; ")}${p.subnet ? ` (subnet "${p.subnet}")` : ""}`);
  }
}
