/** Building and tearing down a lab's namespaces: underlay router, external host, nodes. */
import { statSync } from "node:fs";
import type { Executor } from "../exec/types.js";
import { externalNetns, netnsPrefix, nodeNetns, underlayNetns } from "./layout.js";
import { createNetns, deleteNetns, listNetns } from "./netns.js";
import { ECHO_SERVER } from "./kubelet.js";
import { EXTERNAL, EXTERNAL6, externalBatch, type IpFamilyMode, type LabNode, nodeBatch, nodePort, nodeUplinkBatch, underlayBatch } from "./topology.js";

/** ownNetnsInode is the inode of the network namespace this process runs in. */
export function ownNetnsInode(): string {
  return String(statSync("/proc/self/ns/net").ino);
}

async function batch(exec: Executor, netns: string, text: string): Promise<void> {
  await exec.run({ argv: ["ip", "-batch", "-"], netns, stdin: text });
}

async function enableForwarding(exec: Executor, netns: string): Promise<void> {
  await exec.run({
    argv: ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"],
    netns,
  });
}

/** buildTopology creates the underlay, the external host and the nodes, all inside new namespaces. */
export async function buildTopology(exec: Executor, lab: string, nodes: LabNode[], family: IpFamilyMode = "ipv4"): Promise<void> {
  const ul = underlayNetns(lab);
  const ext = externalNetns(lab);
  await Promise.all([ul, ext].map((ns) => createNetns(exec, ns)));
  await batch(exec, ul, underlayBatch(ext, family));
  await enableForwarding(exec, ul);
  await batch(exec, ext, externalBatch(family));
  await Promise.all(nodes.map((n) => buildNode(exec, lab, n)));
}

/** startInternetServer runs the echo workload on the external host (TCP 80, UDP 53), the "internet" egress tests call. */
export async function startInternetServer(exec: Executor, lab: string, logFile: string, family: IpFamilyMode = "ipv4"): Promise<void> {
  const ips = family === "dual" ? `${EXTERNAL.host},${EXTERNAL6.host}` : EXTERNAL.host;
  await exec.daemon({
    argv: [process.execPath, ECHO_SERVER, "--pod=internet/server", "--node=external", `--ip=${ips}`, "--tcp=80", "--udp=53"],
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
  await batch(exec, underlayNetns(lab), nodeUplinkBatch(n, ns));
  await batch(exec, ns, nodeBatch(n));
  await enableForwarding(exec, ns);
}

/** destroyNode removes a node's underlay port (at once; a namespace's veths go asynchronously) and its namespace. */
export async function destroyNode(exec: Executor, lab: string, n: LabNode): Promise<void> {
  await exec.run({ argv: ["ip", "link", "del", nodePort(n)], netns: underlayNetns(lab), okCodes: [0, 1, 2] });
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
