/**
 * One node's BIRD daemon: podnet writes its config, starts it (BIRD daemonizes and writes a pid
 * file) and, when the config changes, asks the running daemon to `configure` — sessions whose
 * settings did not change stay up. Stopping goes by the PID podnet started, never by name.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Executor, NetnsRef } from "../exec/types.js";
import { pidLooksLike, stopPids } from "../util/proc.js";
import { RoutingError } from "./types.js";

/** BirdFiles are the paths of one node's BIRD: config, control socket, pid file and log. */
export interface BirdFiles {
  conf: string;
  socket: string;
  pid: string;
  log: string;
}

/** birdFiles places a node's BIRD files in one directory. */
export function birdFiles(dir: string): BirdFiles {
  return { conf: `${dir}/bird.conf`, socket: `${dir}/bird.ctl`, pid: `${dir}/bird.pid`, log: `${dir}/bird.log` };
}

/** withLog gives BIRD's config its log statement for this node's log file: the file BIRD is given. */
export function withLog(config: string, log: string): string {
  if (!/^[A-Za-z0-9_./-]+$/.test(log)) throw new RoutingError(`failed to configure BIRD: unsafe log path "${log}"`);
  return config.replace("log stderr all;", `log "${log}" all;`);
}

/** BirdDaemon manages the BIRD of one node. */
export class BirdDaemon {
  constructor(
    private readonly exec: Executor,
    private readonly netns: NetnsRef,
    readonly files: BirdFiles,
  ) {}

  /** pid is the running daemon's PID, if the pid file names a live BIRD of this node. */
  pid(): number | undefined {
    if (!existsSync(this.files.pid)) return undefined;
    const pid = Number(readFileSync(this.files.pid, "utf8").trim());
    return pid > 1 && pidLooksLike(pid, this.files.conf) ? pid : undefined;
  }

  /** current is the config file as last written and whether this node's BIRD runs. */
  current(): { config: string | undefined; running: boolean } {
    const config = existsSync(this.files.conf) ? readFileSync(this.files.conf, "utf8") : undefined;
    return { config, running: this.pid() !== undefined };
  }

  /** apply writes the config file (made by withLog) and starts BIRD, or has the running one load it. */
  async apply(text: string): Promise<void> {
    mkdirSync(dirname(this.files.conf), { recursive: true });
    writeFileSync(this.files.conf, text);
    if (this.pid() === undefined) {
      await this.exec.run({ argv: ["bird", "-c", this.files.conf, "-s", this.files.socket, "-P", this.files.pid], netns: this.netns });
      return;
    }
    const r = await this.birdc(["configure"]);
    if (!/Reconfigur/.test(r)) throw new RoutingError(`failed to reconfigure BIRD "${this.files.conf}": ${r.trim()}`);
  }

  /** birdc runs one birdc command against this node's daemon and returns its output. */
  async birdc(args: string[]): Promise<string> {
    return (await this.exec.run({ argv: ["birdc", "-s", this.files.socket, ...args], netns: this.netns })).stdout;
  }

  /** stop terminates the daemon (its routes are withdrawn from peers and removed from the kernel). */
  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid) await stopPids([pid]);
  }
}
