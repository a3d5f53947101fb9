/** Routed mode ADD and CHECK (DEL is shared with bridge mode: the veth, its routes, masquerade and IPs go). */
import { readJson } from "../exec/json.js";
import { applyBatch, cmdAddWith, type PluginContext } from "./bridge.js";
import { randomMac } from "./names.js";
import { renderRoutedHost, renderRoutedPod, type RoutedPlan, routedIps, routedSysctls } from "./routed-plan.js";
import { CniCode, CniError, type Result } from "./types.js";

/** cmdAddRouted wires a pod Calico-style; on failure the shared rollback undoes everything. */
export function cmdAddRouted(ctx: PluginContext): Promise<Result> {
  return cmdAddWith(ctx, async ({ hostVeth, podMac, ips, hostIp, podIp }) => {
    const plan: RoutedPlan = { hostVeth, podIf: ctx.env.ifname, podMac: podMac ?? randomMac(), netnsPath: ctx.env.netns, mtu: ctx.conf.mtu ?? 1500, ips };
    await applyBatch(hostIp, `create "${hostVeth}"`, renderRoutedHost(plan));
    await ctx.exec.run({ argv: ["sysctl", "-q", "-w", ...routedSysctls(hostVeth, ips)], netns: null });
    await applyBatch(podIp, `configure "${ctx.env.ifname}" in "${ctx.env.netns}"`, renderRoutedPod(plan));
    return {
      interfaces: [
        { name: hostVeth, mac: "ee:ee:ee:ee:ee:ee" },
        { name: ctx.env.ifname, mac: plan.podMac, sandbox: ctx.env.netns },
      ],
      ips: routedIps(ips).map((i) => ({ ...i, interface: 1 })),
      routes: ips.map((i) => ({ dst: i.address.includes(":") ? "::/0" : "0.0.0.0/0" })),
    };
  });
}

/** cmdCheckRouted verifies the host route and the pod's addresses are still there. */
export async function cmdCheckRouted(ctx: PluginContext, hostVeth: string): Promise<void> {
  for (const i of ctx.conf.prevResult?.ips ?? []) {
    const ip = i.address.split("/")[0] as string;
    const [route] = await readJson<{ dev?: string }>(ctx.exec, null, ["ip", "-j", "route", "show", ip]);
    const dev = route?.dev;
    if (dev !== hostVeth) throw new CniError(CniCode.Internal, `route to ${ip} does not go to "${hostVeth}"`);
  }
}
