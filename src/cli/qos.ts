/** `podnet qos`: the node's QoS and mirroring agent (pod bandwidth annotations, kube-ovn's mirror). */
import type { Command } from "commander";
import { RealExecutor } from "../exec/real.js";
import { QosDaemon } from "../qos/daemon.js";
import { durationOption, ifaceName, logLine, serve, storeOption } from "./flags.js";

/** registerQos adds `podnet qos`. */
export function registerQos(program: Command): void {
  program
    .command("qos")
    .description("run the node's QoS agent: pod bandwidth limits (tc) and traffic mirroring, following pod annotations live")
    .requiredOption("--node-name <name>", "this node's name (the pods with this nodeName are shaped here)")
    .addOption(storeOption())
    .option("--status-file <file>", "where to record what each pod has")
    .option("--enable-mirror", "make the mirror interface and mirror the pods annotated ovn.kubernetes.io/mirror=true", false)
    .option("--mirror-iface <name>", "the mirror interface", ifaceName, "mirror0")
    .addOption(durationOption("--resync-period <duration>", "how often to compare with the kernel when nothing changed", "2s"))
    .action(
      async (o: {
        nodeName: string;
        store: string;
        statusFile?: string;
        enableMirror: boolean;
        mirrorIface: string;
        resyncPeriod: number;
      }) => {
        const d = new QosDaemon(new RealExecutor(), {
          node: o.nodeName,
          storeFile: o.store,
          ...(o.statusFile ? { statusFile: o.statusFile } : {}),
          ...(o.enableMirror ? { mirrorIface: o.mirrorIface } : {}),
          resyncPeriodMs: o.resyncPeriod,
          log: logLine,
        });
        await serve(d);
      },
    );
}
