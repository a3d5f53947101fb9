/** `podnet lab status`: the lab's nodes, their daemons (running or dead, restarts) and pods. */
import { type Command, Option } from "commander";
import { heldDown } from "../../lab/agents.js";
import { daemonState, nodeDaemons, readDaemons } from "../../lab/daemons.js";
import { nodeNetns } from "../../lab/layout.js";
import { nodeRouting } from "../../lab/network.js";
import { SandboxDir } from "../../lab/sandbox.js";
import { CONTROLLER_ELECTION } from "../../lab/controllers.js";
import type { Lab } from "../../lab/lab.js";
import { type DaemonReport, type StoreView, statusReport } from "../../lab/statusreport.js";
import { supervisorRunning } from "../../lab/supervisor.js";
import { BirdDaemon } from "../../routing/birdd.js";
import { processAlive } from "../../util/proc.js";
import { openLab } from "./open.js";

/** storeView reads the store's version and the controllers' leader, or nothing when the store does not answer. */
async function storeView(l: Lab): Promise<StoreView> {
  const version = await l.store.version().catch(() => undefined);
  const lease = await l.store.read((tx) => tx.get(CONTROLLER_ELECTION)).catch(() => undefined);
  return { version, leader: (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity };
}

/** registerStatus adds `lab status`. */
export function registerStatus(lab: Command): void {
  lab
    .command("status")
    .description("show the lab's nodes, their daemons (running or dead, restarts) and pods")
    .addOption(new Option("-o, --output <format>", "text, or json for scripts").choices(["text", "json"]).default("text"))
    .action(async (o: { output: "text" | "json" }, cmd: Command) => {
      const l = openLab(cmd);
      const cfg = l.config();
      const view = await storeView(l);
      if (o.output === "json") {
        process.stdout.write(`${JSON.stringify(await statusReport(l.paths, cfg, view), null, 2)}\n`);
        return;
      }
      const pods = await l.store
        .read((tx) => tx.list("Pod"))
        .then(
          (p) => `${p.length} pods in the store`,
          (e: Error) => `the store does not answer: ${e.message}`,
        );
      const out = [
        `lab "${cfg.name}" (created ${cfg.createdAt}), state in ${l.paths.dir}${cfg.supervise ? `, supervisor ${supervisorRunning(l.paths) ? "running" : "DEAD"}` : ""}`,
      ];
      if (cfg.datastore) {
        const report = await statusReport(l.paths, cfg, view);
        const members = "members" in report.datastore ? report.datastore.members : [];
        const one = (name: string, m: DaemonReport, more: string) =>
          `${name} ${m.running ? "running" : "DEAD"} (pid ${m.pid ?? "-"}${m.restarts ? `, restarted ${m.restarts}×` : ""})${more}${m.held ? " held down by lab stop" : ""}`;
        out.push(
          `  etcd  ${members.map((m) => one(m.name, m, m.running ? (m.healthy ? " healthy" : " NOT ANSWERING") : "")).join("  ·  ")}`,
        );
        out.push(`  controllers  ${report.controllers.map((c) => one(c.name, c, c.leader ? " leader" : "")).join("  ·  ")}`);
      }
      for (const n of cfg.nodes) {
        const sandboxes = new SandboxDir(l.paths.sandboxDir(n.name)).list();
        const serving = sandboxes.filter((s) => !s.creating && (s.pid === undefined || processAlive(s.pid))).length;
        out.push(`  ${n.name}  ${n.ip}  netns ${nodeNetns(l.name, n.name)}  pods ${sandboxes.length} (${serving} serving)`);
        const d = readDaemons(l.paths, n.name);
        const held = heldDown(l.paths);
        const states = nodeDaemons(cfg).map((x) => `${daemonState(x, d[x])}${held.has(`${x}/${n.name}`) ? " held down by lab stop" : ""}`);
        if (cfg.routing.mode === "bgp") {
          const bird = new BirdDaemon(l.exec, nodeNetns(l.name, n.name), nodeRouting(l.exec, l.paths, cfg, n.name).bird).pid();
          states.push(bird ? `bird running (pid ${bird})` : "bird DEAD");
        }
        out.push(`    ${states.join("  ·  ")}`);
      }
      out.push(`  ${pods}`);
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
