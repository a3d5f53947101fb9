/** Pod sandbox records: what the lab's kubelet started for a pod, kept on disk per node like a CRI's state. */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Sandbox is one running pod on a node. */
export interface Sandbox {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  containerId: string;
  netns: string;
  ips: string[];
  pid?: number;
  tcp: number[];
  udp: number[];
  /** capabilityArgs are what ADD was given (host ports, bandwidth, static IPs); DEL gets them again, as libcni's cache does. */
  capabilityArgs?: Record<string, unknown>;
  /** statusFile is where the pod's workload records the store version it serves (the cluster DNS's pods). */
  statusFile?: string;
  /** creating marks a sandbox whose start has not finished: written before anything is made, so a killed start is found and undone. */
  creating?: true;
}

/** SandboxDir reads and writes the sandbox records of one node. */
export class SandboxDir {
  constructor(readonly dir: string) {}
  list(): Sandbox[] {
    let files: string[];
    try {
      files = readdirSync(this.dir).filter((f) => /^[^.]+\.json$/.test(f)); // <uid>.json, not <uid>.status.json
    } catch {
      return [];
    }
    return files.map((f) => JSON.parse(readFileSync(join(this.dir, f), "utf8")) as Sandbox);
  }
  save(s: Sandbox): void {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${s.uid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 2));
    renameSync(`${file}.tmp`, file);
  }
  /** remove deletes a sandbox's record and its workload's log. */
  remove(uid: string): void {
    rmSync(join(this.dir, `${uid}.json`), { force: true });
    rmSync(join(this.dir, `${uid}.log`), { force: true });
    rmSync(join(this.dir, `${uid}.status.json`), { force: true });
  }
  /** statusFile is where a pod's workload may record its status. */
  statusFile(uid: string): string {
    return join(this.dir, `${uid}.status.json`);
  }
  logFile(uid: string): string {
    mkdirSync(this.dir, { recursive: true });
    return join(this.dir, `${uid}.log`);
  }
}
