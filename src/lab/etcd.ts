/**
 * A throw-away single-member etcd for tests and benchmarks (the lab on etcd runs its own, see etcdcluster.ts):
 * it listens on loopback ports that were free, or in a namespace of the caller's on one of its
 * addresses, keeps its data in a temp dir, and is stopped by its PID and removed by stop().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import type { Executor, Stream } from "../exec/types.js";
import type { KubeObject } from "../model/types.js";

/** freePort asks the kernel for a loopback port nobody holds. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

/** TestEtcd is a running etcd. */
export interface TestEtcd {
  endpoint: string;
  /** ctl runs etcdctl against the member (in its namespace) and returns its output. */
  ctl(args: string[]): Promise<string>;
  /** wipe deletes every key. */
  wipe(): Promise<void>;
  /** pause stops the member and keeps its data; resume starts it again on the same ports. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** EtcdPlace puts the member in a namespace of the caller's, on one of its addresses (ports 2379 and 2380). */
export interface EtcdPlace {
  netns: string;
  host: string;
}

/** startTestEtcd starts etcd (on free loopback ports, or in a namespace) and returns once it answers. */
export async function startTestEtcd(exec: Executor, place?: EtcdPlace): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-etcd-"));
  const [client, peer] = place ? [2379, 2380] : [await freePort(), await freePort()];
  const host = place?.host ?? "127.0.0.1";
  const netns = place?.netns ?? null;
  const endpoint = `http://${host}:${client}`;
  const peerUrl = `http://${host}:${peer}`;
  let log = "";
  const argv = [
    "etcd",
    "--name",
    "t",
    "--data-dir",
    join(dir, "data"),
    "--listen-client-urls",
    endpoint,
    "--advertise-client-urls",
    endpoint,
    "--listen-peer-urls",
    peerUrl,
    "--initial-advertise-peer-urls",
    peerUrl,
    "--initial-cluster",
    `t=${peerUrl}`,
    "--logger",
    "zap",
    "--log-level",
    "error",
    // EtcdStore commits a whole apply as one transaction: etcd's default allows 128 operations.
    "--max-txn-ops",
    "10000",
  ];
  const launch = () =>
    exec.stream(
      { argv, netns },
      () => {},
      (line) => (log += `${line}\n`),
    );
  let proc: Stream | undefined = launch();
  const ctl = async (args: string[]) =>
    (await exec.run({ argv: ["etcdctl", "--endpoints", endpoint, "--dial-timeout", "1s", ...args], netns, timeoutMs: 10_000 })).stdout;
  // From the caller's namespace a client answers; from another one, etcdctl run there.
  const c = place ? undefined : new Etcd3({ hosts: [endpoint], dialTimeout: 1_000 });
  const ping = async () => {
    if (c) await c.get("/ping").exec();
    else await ctl(["get", "/ping"]);
  };
  const halt = async () => {
    proc?.stop();
    await proc?.done;
    proc = undefined;
  };
  const stop = async () => {
    c?.close();
    await halt();
    rmSync(dir, { recursive: true, force: true });
  };
  const answers = async () => {
    for (let i = 0; ; i++) {
      try {
        await ping();
        return;
      } catch (e) {
        if (i > 100) {
          await stop();
          throw new Error(`failed to start etcd "${endpoint}": ${(e as Error).message}\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await answers();
  return {
    endpoint,
    ctl,
    wipe: async () => {
      if (c) await c.delete().all().exec();
      else await ctl(["del", "", "--from-key"]);
    },
    pause: halt,
    resume: async () => {
      proc ??= launch();
      await answers();
    },
    stop,
  };
}

/** webDeployment is the Deployment the etcd tests scale: `web`, app=web, in namespace default. */
export function webDeployment(replicas: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "echo" }] } },
    },
  } as KubeObject;
}
