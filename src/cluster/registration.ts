/**
 * Node registration, as the kubelet's --register-node: an agent started with its node's addresses
 * creates its Node when the cluster has none, so a new host joins by starting its agent, and the
 * controllers then give it a pod CIDR. A Node that exists is left as it is.
 */
import type { Node } from "../model/types.js";
import { type Datastore, DatastoreError } from "../store/datastore.js";

/** registeredNode is the Node an agent registers: its name, addresses and the well-known labels. */
export function registeredNode(name: string, ips: string[]): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    spec: {},
    status: { addresses: [...ips.map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: name }] },
  } as Node;
}

/** registerNode creates the Node when it is missing; true when it did. */
export async function registerNode(ds: Datastore, name: string, ips: string[]): Promise<boolean> {
  if (await ds.get({ kind: "Node", name })) return false;
  try {
    await ds.create(registeredNode(name, ips));
    return true;
  } catch (e) {
    if (e instanceof DatastoreError && e.reason === "AlreadyExists") return false;
    throw e;
  }
}
