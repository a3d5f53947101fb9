/**
 * A throw-away single-member etcd for tests and benchmarks (the lab on etcd will start its members): it listens on loopback ports that were
 * free, keeps its data in a temp dir, and is stopped by its PID and removed by stop().
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
  /** wipe deletes every key. */
  wipe(): Promise<void>;
  /** pause stops the member and keeps its data; resume starts it again on the same ports. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** startTestEtcd starts etcd and returns once it answers. */
export async function startTestEtcd(exec: Executor): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-etcd-"));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
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
      { argv, netns: null },
      () => {},
      (line) => (log += `${line}\n`),
    );
  let proc: Stream | undefined = launch();
  const c = new Etcd3({ hosts: [endpoint], dialTimeout: 1_000 });
  const halt = async () => {
    proc?.stop();
    await proc?.done;
    proc = undefined;
  };
  const stop = async () => {
    c.close();
    await halt();
    rmSync(dir, { recursive: true, force: true });
  };
  const answers = async () => {
    for (let i = 0; ; i++) {
      try {
        await c.get("/ping").exec();
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
    wipe: async () => {
      await c.delete().all().exec();
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
