/** The CNI network configuration the lab writes on each node (what a node's /etc/cni/net.d holds). */
import type { ConfList } from "../cni/runtime.js";
import type { Node } from "../model/types.js";

/** nodeConfList is a node's podnet network: bridge cni0 at the routing mode's pod MTU, IPAM from the node's pod CIDRs. */
export function nodeConfList(node: Node, ipamDataDir: string, mtu: number): ConfList {
  const cidrs = node.spec.podCIDRs ?? (node.spec.podCIDR ? [node.spec.podCIDR] : []);
  return {
    cniVersion: "1.0.0",
    name: "podnet",
    plugins: [
      {
        type: "podnet-cni",
        bridge: "cni0",
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu,
        ipam: {
          type: "podnet",
          ranges: cidrs.map((subnet) => [{ subnet }]),
          routes: cidrs.map((c) => ({ dst: c.includes(":") ? "::/0" : "0.0.0.0/0" })),
          dataDir: ipamDataDir,
        },
      },
    ],
  };
}
