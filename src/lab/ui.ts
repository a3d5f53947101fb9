/**
 * `lab ui`'s source: the lab's store followed as the node agents follow it, a snapshot computed on
 * every change and pushed to the page, BGP sessions read from each node's BIRD (in bgp mode, every
 * few seconds), and the lab's trace, doctor and policy views on demand. Nothing here writes: the
 * trace's --verify only opens a connection (and a short-lived trace table) as `lab trace` does.
 */
import { storeLocation } from "./labstore.js";
import { protocolName } from "../routing/bird.js";
import { birdFiles } from "../routing/birdd.js";
import type { TraceQuery } from "../ui/server.js";
import { StoreUiSource } from "../ui/source.js";
import { runDoctor } from "./doctor/run.js";
import type { Lab } from "./lab.js";
import { nodeNetns } from "./layout.js";
import { podPolicies } from "./uipolicies.js";
import { EXTERNAL, EXTERNAL6 } from "./topology.js";
import { runTrace } from "./trace/run.js";

/** LabUiSource follows a lab for the web view. */
export class LabUiSource extends StoreUiSource {
  private bgp = new Map<string, string>();
  private stopped = false;

  constructor(
    private readonly lab: Lab,
    log: (line: string) => void,
  ) {
    const cfg = lab.config();
    const dual = cfg.ipFamily === "dual";
    super(
      storeLocation(lab.paths, cfg, "ui", "socket"),
      () => ({
        routing: cfg.routing.mode,
        bgpState: (a, b) => this.bgp.get([a, b].sort().join(" ")),
        external: { name: "external", ips: [EXTERNAL.host, ...(dual ? [EXTERNAL6.host] : [])] },
      }),
      log,
    );
  }

  /** start follows the store, and BIRD's sessions in bgp mode, until stop(). */
  override start(): void {
    super.start();
    if (this.lab.config().routing.mode === "bgp") void this.watchBgp();
  }

  override stop(): void {
    this.stopped = true;
    super.stop();
  }

  trace(q: TraceQuery): Promise<unknown> {
    return runTrace(this.lab, q);
  }

  async doctor(): Promise<unknown> {
    return { checks: await runDoctor(this.lab) };
  }

  async policies(namespace: string, pod: string): Promise<unknown> {
    const store = this.follower.read();
    if (!store) throw new Error("the cluster store cannot be read");
    return podPolicies(store, namespace, pod);
  }

  /** watchBgp reads every node's BGP sessions; a change makes a new snapshot. */
  private async watchBgp(): Promise<void> {
    while (!this.stopped) {
      const cfg = this.lab.config();
      const next = new Map<string, string>();
      await Promise.all(
        cfg.nodes.map(async (n) => {
          const socket = birdFiles(this.lab.paths.routingDir(n.name)).socket;
          const r = await this.lab.exec
            .run({ argv: ["birdc", "-s", socket, "show", "protocols"], netns: nodeNetns(cfg.name, n.name), okCodes: [0, 1] })
            .catch(() => undefined);
          for (const peer of cfg.nodes) {
            const line = r?.stdout.split("\n").find((l) => l.startsWith(`${protocolName(peer.name)} `));
            const state = line ? (line.trim().split(/\s+/).at(-1) ?? "") : r ? "" : "BIRD not answering";
            const key = [n.name, peer.name].sort().join(" ");
            if (peer.name !== n.name && state && (!next.has(key) || state !== "Established")) next.set(key, state);
          }
        }),
      );
      const changed = [...next].some(([k, v]) => this.bgp.get(k) !== v) || next.size !== this.bgp.size;
      this.bgp = next;
      if (changed) this.refresh(true);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}
