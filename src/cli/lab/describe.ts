/** `podnet lab describe pod NAME`: kubectl describe's view of a pod, with its QoS and mirroring and the tc objects behind them. */
import type { Command } from "commander";
import { nodeNetns } from "../../lab/layout.js";
import { podQosStatus } from "../../lab/qos.js";
import { LabError } from "../../lab/layout.js";
import type { Pod } from "../../model/index.js";
import { openLab } from "./open.js";

const mbit = (r: number | undefined) => (r ? `${+(r / 1e6).toFixed(3)} Mbit/s` : "unlimited");

/** registerDescribe adds `lab describe`. */
export function registerDescribe(lab: Command): void {
  lab
    .command("describe")
    .description("show a pod in detail: addresses, conditions, annotations, QoS and mirroring with their tc objects")
    .argument("<kind>", "pod")
    .argument("<name>")
    .option("-n, --namespace <ns>", "namespace", "default")
    .action(async (kind: string, name: string, o: { namespace: string }, cmd: Command) => {
      if (!["pod", "pods", "po"].includes(kind)) throw new LabError(`error: describe supports pods only, not "${kind}"`);
      const l = openLab(cmd);
      const pod = await l.store.read((tx) => tx.get<Pod>({ kind: "Pod", namespace: o.namespace, name }));
      if (!pod) throw new LabError(`Error from server (NotFound): pods "${name}" not found`);
      const out = [
        `Name:         ${pod.metadata.name}`,
        `Namespace:    ${pod.metadata.namespace ?? "default"}`,
        `Node:         ${pod.spec.nodeName ?? "<none>"}`,
        `Status:       ${pod.status?.phase ?? "Pending"}`,
        `IPs:         ${(pod.status?.podIPs ?? []).map((i) => ` ${i.ip}`).join("") || " <none>"}`,
        "Annotations:",
        ...Object.entries(pod.metadata.annotations ?? {}).map(([k, v]) => `  ${k}: ${v}`),
        "Conditions:",
        ...(pod.status?.conditions ?? []).map(
          (c) => `  ${c.type}  ${c.status}${c.reason ? `  ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}`,
        ),
      ];
      const q = podQosStatus(l.paths, pod);
      out.push("QoS:");
      if (!q || !pod.spec.nodeName) out.push("  not reported by the node's QoS agent");
      else {
        out.push(
          `  Ingress (to the pod):   ${mbit(q.ingress)}`,
          `  Egress (from the pod):  ${mbit(q.egress)}`,
          `  Mirrored:              ${q.mirror}`,
        );
        for (const e of q.errors) out.push(`  Refused: ${e}`);
        const netns = nodeNetns(l.name, pod.spec.nodeName);
        const tc = async (...argv: string[]) => (await l.exec.run({ argv: ["tc", ...argv], netns, okCodes: [0, 1, 2] })).stdout.trimEnd();
        if (q.dev) {
          out.push(`  Host interface ${q.dev} (tc qdisc, filters on ingress and egress):`);
          for (const t of [
            await tc("qdisc", "show", "dev", q.dev),
            await tc("filter", "show", "dev", q.dev, "ingress"),
            await tc("filter", "show", "dev", q.dev, "egress"),
          ])
            out.push(
              ...t
                .split("\n")
                .filter(Boolean)
                .map((x) => `    ${x}`),
            );
        }
        if (q.ifb)
          out.push(
            `  Egress shaper ${q.ifb}:`,
            ...(await tc("qdisc", "show", "dev", q.ifb))
              .split("\n")
              .filter(Boolean)
              .map((x) => `    ${x}`),
          );
      }
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
