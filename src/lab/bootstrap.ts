/** Building and tearing down a lab's namespaces: underlay router, external host, nodes. */
import { statSync } from "node:fs";
import type { Executor } from "../exec/types.js";
import { externalNetns, netnsPrefix, nodeNetns, underlayNetns } from "./layout.js";
import { createNetns, deleteNetns, listNetns } from "./netns.js";
import { externalBatch, type LabNode, nodeBatch, nodeUplinkBatch, underlayBatch } from "./topology.js";

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
export async function buildTopology(exec: Executor, lab: string, nodes: LabNode[]): Promise<void> {
  const ul = underlayNetns(lab);
  const ext = externalNetns(lab);
  await Promise.all(
    [ul, ext, ...nodes.map((n) => nodeNetns(lab, n.name))].map((ns) => createNetns(exec, ns)),
  );
  await batch(
    exec,
    ul,
    underlayBatch(ext) + nodes.map((n) => nodeUplinkBatch(n, nodeNetns(lab, n.name))).join(""),
  );
  await enableForwarding(exec, ul);
  await batch(exec, ext, externalBatch());
  await Promise.all(
    nodes.map(async (n) => {
      const ns = nodeNetns(lab, n.name);
      await batch(exec, ns, nodeBatch(n));
      await enableForwarding(exec, ns);
    }),
  );
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
