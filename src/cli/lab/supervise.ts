/**
 * `lab stop DAEMON/NODE` and `lab start DAEMON/NODE` hold one node daemon down for a test and let
 * it run again; `lab supervise` is the lab's supervisor process (started by `lab up`), which
 * restarts dead daemons every half second while no lab command holds the lab lock.
 */
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { underlayNetns } from "../../lab/layout.js";
import { componentPid, parseComponent, reviveDaemons, setHeld } from "../../lab/supervisor.js";
import { LockTimeoutError, withFlock } from "../../util/flock.js";
import { stopPids } from "../../util/proc.js";
import { logLine } from "../flags.js";
import { openLab } from "./open.js";

/** registerSupervise adds `lab stop`, `lab start` and `lab supervise`. */
export function registerSupervise(lab: Command): void {
  lab
    .command("stop")
    .description(
      "stop one node daemon or etcd member and hold it down (the supervisor and lab commands leave it stopped): DAEMON/NODE, e.g. agent/node-2, or etcd-2",
    )
    .argument("<component>", "DAEMON/NODE (agent, proxy, policy, qos or cni-agent on a node), or an etcd member")
    .action(async (component: string, _o, cmd: Command) => {
      const l = openLab(cmd);
      await l.locked(async () => {
        const cfg = l.config();
        const name = parseComponent(component, cfg);
        setHeld(l.paths, name, true);
        const pid = componentPid(l.paths, cfg, name);
        if (pid !== undefined) await stopPids([pid]);
        process.stdout.write(`${name} stopped\n`);
      });
    });
  lab
    .command("start")
    .description("let a daemon `lab stop` held down run again, and start it now")
    .argument("<component>", "DAEMON/NODE or an etcd member")
    .action(async (component: string, _o, cmd: Command) => {
      const l = openLab(cmd);
      await l.locked(async () => {
        const cfg = l.config();
        const name = parseComponent(component, cfg);
        setHeld(l.paths, name, false);
        await reviveDaemons(l.exec, l.paths, cfg);
        process.stdout.write(`${name} started\n`);
      });
    });
  lab
    .command("supervise", { hidden: true })
    .description("the lab's supervisor: restart dead node daemons (started by lab up)")
    .action(async (_o, cmd: Command) => {
      const l = openLab(cmd);
      let stopped = false;
      for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => (stopped = true));
      process.stdout.write("ready\n");
      // It ends with its lab: when lab.json or the lab's underlay namespace is gone (a lab removed
      // without `lab down`, e.g. by a test runner's cleanup), nothing is left to restart into.
      const labGone = () => !existsSync(l.paths.config) || !existsSync(`/run/netns/${underlayNetns(l.name)}`);
      while (!stopped && !labGone()) {
        await new Promise((r) => setTimeout(r, 500));
        try {
          // Only when no lab command holds the lock: a command restarts what died itself.
          await withFlock(l.paths.lock, () => (labGone() ? undefined : reviveDaemons(l.exec, l.paths, l.config())), 0);
        } catch (e) {
          if (!(e instanceof LockTimeoutError)) logLine(`failed to restart the lab's daemons: ${(e as Error).message}`);
        }
      }
    });
}
