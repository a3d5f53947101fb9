/**
 * The lab's wiring as data: an underlay namespace that bridges the nodes (172.18.0.0/24) and routes
 * to an external host on TEST-NET-2 (198.51.100.0/24). Rendered to `ip -batch` text per namespace.
 */

/** UNDERLAY is the nodes' network; the underlay namespace is its gateway. */
export const UNDERLAY = {
  cidr: "172.18.0.0/24",
  gateway: "172.18.0.1",
  prefix: 24,
  bridge: "br0",
  /** mac is fixed: a bridge without one takes its lowest port MAC, which changes when a node's port goes, and the nodes' ARP entries for the gateway go stale. */
  mac: "02:00:ac:12:00:01",
  mtu: 1500,
};
/** EXTERNAL is the outside world: a TEST-NET-2 network behind the underlay router. */
export const EXTERNAL = { gateway: "198.51.100.1", host: "198.51.100.10", prefix: 24 };

/** LabNode is one node of a lab's topology. */
export interface LabNode {
  name: string;
  index: number;
  ip: string;
}

/** MAX_NODES keeps node addresses below the load-balancer pool at .192. */
export const MAX_NODES = 170;

/** labNode names and addresses node number i (1-based): node-i at 172.18.0.(10+i). */
export function labNode(i: number): LabNode {
  if (!Number.isInteger(i) || i < 1 || i > MAX_NODES) throw new Error(`invalid node number ${i}: use 1-${MAX_NODES}`);
  return { name: `node-${i}`, index: i, ip: `172.18.0.${10 + i}` };
}

/** labNodes names and addresses nodes 1..n. */
export function labNodes(n: number): LabNode[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) throw new Error(`invalid node count ${n}: use 1-${MAX_NODES}`);
  return Array.from({ length: n }, (_, i) => labNode(i + 1));
}

/** underlayBatch creates the bridge and the uplink to the external host, inside the underlay namespace. */
export function underlayBatch(externalNs: string): string {
  return [
    "link set lo up",
    `link add ${UNDERLAY.bridge} address ${UNDERLAY.mac} mtu ${UNDERLAY.mtu} type bridge`,
    `address add ${UNDERLAY.gateway}/${UNDERLAY.prefix} dev ${UNDERLAY.bridge}`,
    `link set ${UNDERLAY.bridge} up`,
    `link add ext0 type veth peer name eth0 netns ${externalNs}`,
    `address add ${EXTERNAL.gateway}/${EXTERNAL.prefix} dev ext0`,
    "link set ext0 up",
    "",
  ].join("\n");
}

/** hostBatch addresses a host's eth0 and routes it through a gateway, inside the host's namespace. */
function hostBatch(ip: string, prefix: number, gateway: string): string {
  return ["link set lo up", `address add ${ip}/${prefix} dev eth0`, "link set eth0 up", `route add default via ${gateway}`, ""].join("\n");
}

/** externalBatch addresses the external host, inside its namespace. */
export function externalBatch(): string {
  return hostBatch(EXTERNAL.host, EXTERNAL.prefix, EXTERNAL.gateway);
}

/** nodePort names a node's port on the underlay bridge. */
export function nodePort(node: LabNode): string {
  return `n${node.index}`;
}

/** nodeUplinkBatch plugs a node into the underlay bridge, inside the underlay namespace. */
export function nodeUplinkBatch(node: LabNode, nodeNs: string): string {
  const port = nodePort(node);
  return [
    `link add ${port} mtu ${UNDERLAY.mtu} type veth peer name eth0 mtu ${UNDERLAY.mtu} netns ${nodeNs}`,
    `link set ${port} master ${UNDERLAY.bridge}`,
    `link set ${port} up`,
    "",
  ].join("\n");
}

/** nodeBatch addresses a node and routes it through the underlay, inside the node's namespace. */
export function nodeBatch(node: LabNode): string {
  return hostBatch(node.ip, UNDERLAY.prefix, UNDERLAY.gateway);
}
