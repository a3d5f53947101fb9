/**
 * `podnet controller --store URL`: the cluster's controllers as a daemon over a datastore, two or
 * more replicas electing a leader on a lease (only the leader writes). The layout (pod and service
 * CIDRs, node mask sizes, NodePort range) comes from the datastore's ClusterInformation "default".
 * On the embedded store leases live in one process: run a single replica there.
 */
import { hostname } from "node:os";
import type { Command } from "commander";
import { ControllerDaemon } from "../cluster/daemon.js";
import { Elector } from "../store/election.js";
import { CONTROLLER_KINDS } from "../store/informer.js";
import { openCluster } from "../store/open.js";
import { durationOption, logLine, storeOption } from "./flags.js";

/** registerController adds `podnet controller`. */
export function registerController(program: Command): void {
  program
    .command("controller")
    .description("run the cluster's controllers over a datastore, as one of several replicas electing a leader")
    .addOption(storeOption())
    .option("--identity <name>", "this replica's name in the election", `${hostname()}/${process.pid}`)
    .addOption(durationOption("--lease-duration <duration>", "how long a dead leader keeps the lead", "4s"))
    .addOption(durationOption("--resync-period <duration>", "how often the leader reconciles without a change", "10s"))
    .option("--status-file <path>", "record the revision of each pass as leader here (JSON), for clients waiting on their writes")
    .action(async (o: { store: string; identity: string; leaseDuration: number; resyncPeriod: number; statusFile?: string }) => {
      const log = (l: string) => logLine(l);
      const { ds, store, follower } = openCluster(o.store, log, CONTROLLER_KINDS);
      const elector = new Elector(ds, {
        name: "podnet-controller",
        identity: o.identity,
        ttlSeconds: Math.max(1, Math.round(o.leaseDuration / 1000)),
        onChange: (leading) => log(`${o.identity} ${leading ? "leads" : "no longer leads"}`),
        log,
      });
      const daemon = new ControllerDaemon(store, follower, elector, log, {
        resyncMs: o.resyncPeriod,
        ...(o.statusFile ? { statusFile: o.statusFile } : {}),
      });
      let stopping: Promise<void> | undefined;
      const stop = () => {
        stopping ??= daemon.stop();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      await daemon.run();
      await stopping;
      await ds.close();
    });
}
