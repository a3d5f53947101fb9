/**
 * What a node's routing agent would program, for `podnet render routing`: the plan of a sync
 * against a node that has nothing yet (its own VXLAN device first, in vxlan mode), printed as the
 * batches, restore input and bird.conf it would apply, touching nothing.
 */
import { NodeTransaction, renderSections, type Section } from "../dataplane/index.js";
import type { EgressPlan } from "./egressplan.js";
import { EMPTY_NODE, planRouting } from "./plan.js";
import { type RouteNode, RoutingError, type RoutingSettings } from "./types.js";
import { planDevice, vtepMac } from "./vxlan.js";

/** renderRouting renders one node's full routing state for the settings' mode, plus its egress NAT and gateway routes. */
export function renderRouting(selfName: string, nodes: RouteNode[], s: RoutingSettings, egress: EgressPlan): string {
  const self = nodes.find((n) => n.name === selfName);
  if (!self) throw new RoutingError(`failed to render routing for node "${selfName}": no such node with an InternalIP and pod CIDR`);
  const sections: Section[] = [];
  if (s.mode === "vxlan") {
    const device = new NodeTransaction();
    planDevice(device.ip, self, s, undefined);
    sections.push(...device.render().map((x) => ({ ...x, title: `${x.title} (this node's VXLAN device, made first)` })));
  }
  const withMacs = nodes.map((n) => ({ ...n, vtepMac: n.vtepMac ?? vtepMac(n.name) }));
  const ch = planRouting({ self, nodes: withMacs, egress }, EMPTY_NODE, s);
  const note = s.mode === "ipip" ? " (render only: this kernel has no IPIP)" : "";
  sections.push(...ch.tx.render().map((x) => ({ ...x, title: x.title + note })));
  if (ch.bird !== undefined) sections.push({ title: "bird.conf", text: ch.bird });
  return renderSections(sections);
}
