/** Building and tearing down a lab's namespaces: underlay router, external host, nodes. */
import { statSync } from "node:fs";
import type { Executor } from "../exec/types.js";
import { externalNetns, netnsPrefix, nodeNetns, underlayNetns } from "./layout.js";
import { NodeTransaction, RealNodeKernel } from "../dataplane/index.js";
import { createNetns, deleteNetns, type IpRouteError, IpTransaction, listNetns, RealIpNode } from "../iproute/index.js";
import { ECHO_SERVER } from "./kubelet.js";
import {
  EXTERNAL,
  EXTERNAL6,
  externalTransaction,
  type IpFamilyMode,
  type LabNode,
  nodePort,
  nodeTransaction,
  nodeUplinkTransaction,
  underlayTransaction,
} from "./topology.js";

/** ownNetnsInode is the inode of the network namespace this process runs in. */
export function ownNetnsInode(): string {
  return String(statSync("/proc/self/ns/net").ino);
}

async function apply(exec: Executor, netns: string, tx: IpTransaction): Promise<void> {
  await new RealIpNode(exec, netns).apply(tx);
}

/** enableForwarding makes a namespace route (the underlay router, the nodes). */
async function enableForwarding(exec: Executor, netns: string): Promise<void> {
  const tx = new NodeTransaction().sysctl("net.ipv4.ip_forward", 1).sysctl("net.ipv6.conf.all.forwarding", 1);
  await new RealNodeKernel(exec, netns, "system").apply(tx);
}

/** buildTopology creates the underlay, the external host and the nodes, all inside new namespaces. */
export async function buildTopology(exec: Executor, lab: string, nodes: LabNode[], family: IpFamilyMode = "ipv4"): Promise<void> {
  const ul = underlayNetns(lab);
  const ext = externalNetns(lab);
  await Promise.all([ul, ext].map((ns) => createNetns(exec, ns)));
  await apply(exec, ul, underlayTransaction(ext, family));
  await enableForwarding(exec, ul);
  await apply(exec, ext, externalTransaction(family));
  await Promise.all(nodes.map((n) => buildNode(exec, lab, n)));
}

/** startInternetServer runs the echo workload on the external host (TCP 80, UDP 53), the "internet" egress tests call. */
export async function startInternetServer(exec: Executor, lab: string, logFile: string, family: IpFamilyMode = "ipv4"): Promise<void> {
  const ips = family === "dual" ? `${EXTERNAL.host},${EXTERNAL6.host}` : EXTERNAL.host;
  await exec.daemon({
    argv: [
      process.execPath,
      ECHO_SERVER,
      "--pod=internet/server",
      "--node=external",
      `--ip=${ips}`,
      `--bind=${ips}`,
      "--tcp=80",
      "--udp=53",
    ],
    netns: externalNetns(lab),
    env: { NODE_EXTRA_CA_CERTS: undefined },
    logFile,
    readyLine: "ready",
    timeoutMs: 15_000,
  });
}

/** buildNode creates one node's namespace and plugs it into the underlay (used by `lab up` and `lab node add`). */
export async function buildNode(exec: Executor, lab: string, n: LabNode): Promise<void> {
  const ns = nodeNetns(lab, n.name);
  await createNetns(exec, ns);
  await apply(exec, underlayNetns(lab), nodeUplinkTransaction(n, ns));
  await apply(exec, ns, nodeTransaction(n));
  await enableForwarding(exec, ns);
}

/** destroyNode removes a node's underlay port (at once; a namespace's veths go asynchronously) and its namespace. */
export async function destroyNode(exec: Executor, lab: string, n: LabNode): Promise<void> {
  await apply(exec, underlayNetns(lab), new IpTransaction().delLink(nodePort(n))).catch((e: IpRouteError) => {
    if (!/Cannot find device/.test(e.stderr)) throw e;
  });
  await deleteNetns(exec, nodeNetns(lab, n.name));
}

/** destroyTopology stops every process in the lab's namespaces and deletes them all (pods first). */
export async function destroyTopology(exec: Executor, lab: string): Promise<string[]> {
  const all = await listNetns(exec, netnsPrefix(lab));
  const pods = all.filter((n) => n.startsWith(`${netnsPrefix(lab)}pod-`));
  const rest = all.filter((n) => !pods.includes(n));
  await Promise.all(pods.map((n) => deleteNetns(exec, n)));
  await Promise.all(rest.map((n) => deleteNetns(exec, n)));
  return all;
}
