/** `podnet lab status`: the lab's nodes, their daemons (running or dead, restarts) and pods. */
import { type Command, Option } from "commander";
import { heldDown } from "../../lab/agents.js";
import { daemonState, readDaemons } from "../../lab/daemons.js";
import { nodeNetns } from "../../lab/layout.js";
import { nodeRouting } from "../../lab/network.js";
import { SandboxDir } from "../../lab/sandbox.js";
import { statusReport } from "../../lab/statusreport.js";
import { supervisorRunning } from "../../lab/supervisor.js";
import { BirdDaemon } from "../../routing/birdd.js";
import { processAlive } from "../../util/proc.js";
import { openLab } from "./open.js";

/** registerStatus adds `lab status`. */
export function registerStatus(lab: Command): void {
  lab
    .command("status")
    .description("show the lab's nodes, their daemons (running or dead, restarts) and pods")
    .addOption(new Option("-o, --output <format>", "text, or json for scripts").choices(["text", "json"]).default("text"))
    .action(async (o: { output: "text" | "json" }, cmd: Command) => {
      const l = openLab(cmd);
      const cfg = l.config();
      if (o.output === "json") {
        const version = await l.store.version().catch(() => undefined);
        process.stdout.write(`${JSON.stringify(await statusReport(l.paths, cfg, version), null, 2)}\n`);
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
        const ds = (await statusReport(l.paths, cfg, undefined)).datastore;
        const members = "members" in ds ? ds.members : [];
        const one = (m: (typeof members)[number]) =>
          `${m.name} ${m.running ? "running" : "DEAD"} (pid ${m.pid ?? "-"}${m.restarts ? `, restarted ${m.restarts}×` : ""})${m.running ? (m.healthy ? " healthy" : " NOT ANSWERING") : ""}${m.held ? " held down by lab stop" : ""}`;
        out.push(`  etcd  ${members.map(one).join("  ·  ")}`);
      }
      for (const n of cfg.nodes) {
        const sandboxes = new SandboxDir(l.paths.sandboxDir(n.name)).list();
        const serving = sandboxes.filter((s) => !s.creating && (s.pid === undefined || processAlive(s.pid))).length;
        out.push(`  ${n.name}  ${n.ip}  netns ${nodeNetns(l.name, n.name)}  pods ${sandboxes.length} (${serving} serving)`);
        const d = readDaemons(l.paths, n.name);
        const held = heldDown(l.paths);
        const names = [...(cfg.nodeAgent ? (["agent"] as const) : []), "proxy", "policy", "qos", "cni-agent"] as const;
        const states = names.map((x) => `${daemonState(x, d[x])}${held.has(`${x}/${n.name}`) ? " held down by lab stop" : ""}`);
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
