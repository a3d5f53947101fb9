/** End-to-end helpers: a uniquely named lab in a temp state dir, driven through the real CLI. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../../src/exec/real.js";
import { ExecError } from "../../src/exec/types.js";
import { createNetns, deleteNetns } from "../../src/iproute/netns.js";
import { LabPaths, nodeNetns } from "../../src/lab/layout.js";
import { SandboxDir } from "../../src/lab/sandbox.js";

/** exec is the real executor the e2e tests use. */
export const exec = new RealExecutor();
/** PODNET is the CLI executable of this checkout. */
export const PODNET = fileURLToPath(new URL("../../../bin/podnet", import.meta.url));
/** REPO is the checkout's root. */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** CliResult is what one CLI call printed and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** run runs a command in this namespace and returns its output whatever the exit code. */
export async function run(argv: string[], stdin?: string, timeoutMs = 120_000): Promise<CliResult> {
  try {
    const r = await exec.run({ argv, netns: null, ...(stdin === undefined ? {} : { stdin }), timeoutMs });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    if (e instanceof ExecError) return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
    throw e;
  }
}

/** TestLab runs CLI commands against one lab. */
export class TestLab {
  readonly name = `t${randomBytes(4).toString("hex")}`;
  readonly stateDir = mkdtempSync(join(tmpdir(), "podnet-e2e-"));

  /** cli runs `podnet lab <args>` and returns its output whatever the exit code. */
  async cli(args: string[], stdin?: string): Promise<CliResult> {
    const [sub, ...rest] = args;
    return run([PODNET, "lab", sub as string, "--lab", this.name, "--state-dir", this.stateDir, ...rest], stdin);
  }

  /** ok runs a CLI command that must succeed and returns its stdout. */
  async ok(args: string[], stdin?: string): Promise<string> {
    const r = await this.cli(args, stdin);
    if (r.code !== 0) throw new Error(`podnet lab ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** json runs a CLI command with -o json and parses the output. */
  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, "-o", "json"])) as T;
  }

  /** podNetns finds a running pod's network namespace in the lab's sandbox records. */
  podNetns(pod: string, namespace = "default"): string {
    const paths = new LabPaths(this.stateDir, this.name);
    for (const node of ["node-1", "node-2", "node-3"]) {
      const s = new SandboxDir(paths.sandboxDir(node)).list().find((x) => x.name === pod && x.namespace === namespace);
      if (s) return s.netns;
    }
    throw new Error(`pod ${namespace}/${pod} has no sandbox`);
  }

  /** nodeNetns is a lab node's network namespace. */
  nodeNetns(node: string): string {
    return nodeNetns(this.name, node);
  }

  /** down removes the lab and its state dir. */
  async down(): Promise<void> {
    await this.cli(["down"]);
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** netnsFixture creates a node and a pod namespace before a file's tests and removes them, and dataDir, after. */
export function netnsFixture(
  hooks: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void },
  names: { node: string; pod: string },
  dataDir: string,
): void {
  hooks.before(async () => {
    await createNetns(exec, names.node);
    await createNetns(exec, names.pod);
  });
  hooks.after(async () => {
    await deleteNetns(exec, names.pod);
    await deleteNetns(exec, names.node);
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/**
 * withLab runs fn against a fresh lab (extra `lab up` flags in upArgs) and always tears it down.
 * The lab runs no cluster DNS unless upArgs ask for it with --dns: its two pods would take
 * addresses and scheduling slots that most tests count on.
 */
export async function withLab(nodes: number, fn: (lab: TestLab) => Promise<void>, upArgs: string[] = []): Promise<void> {
  const lab = new TestLab();
  try {
    await lab.ok(["up", "--nodes", String(nodes), ...(upArgs.includes("--dns") ? [] : ["--no-dns"]), ...upArgs]);
    await fn(lab);
  } finally {
    await lab.down();
  }
}

/** deployment is a Deployment manifest of echo pods serving 8080 (extra adds to the port, e.g. ", hostPort: 8888"). */
export const deployment = (name: string, replicas: number, extra = "") => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: echo, image: echo, ports: [{containerPort: 8080${extra}}]}]
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** waitFor polls fn until it holds, or throws naming what it waited for. */
export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** sockets counts the sockets `ss -H <filter>` lists in a namespace (e.g. ["-ltn", "sport = :5201"]). */
export async function sockets(netns: string, filter: string[]): Promise<number> {
  const out = (await exec.run({ argv: ["ss", "-H", ...filter], netns })).stdout;
  return out.split("\n").filter((l) => l.trim()).length;
}

/**
 * serveIn starts a server straight in a namespace (not through the CLI, whose start-up takes
 * seconds on a loaded machine) and returns once `ss <filter>` shows its socket. The returned run
 * resolves to the server's output, or to the error it failed with, never to an unhandled rejection.
 */
export async function serveIn(
  netns: string,
  argv: string[],
  filter: string[],
  timeoutMs = 120_000,
): Promise<{ done: Promise<{ stdout: string; stderr: string } | Error> }> {
  let failed: Error | undefined;
  const done = exec.run({ argv, netns, timeoutMs }).catch((e: Error) => {
    failed = e;
    return e;
  });
  await waitFor(`${argv[0]} to listen in ${netns}`, async () => {
    if (failed) throw failed;
    return (await sockets(netns, filter)) > 0;
  });
  return { done };
}
