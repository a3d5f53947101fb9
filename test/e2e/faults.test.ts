/**
 * What a new user broke (issue 19), each proven with real packets and processes: a restarted node
 * answers at once; a `lab apply` killed at random points leaves a lab the next command converges;
 * a store that vanishes or is replaced is an error and the data plane keeps its last good state;
 * host ports are scheduled and admitted as Kubernetes does.
 */
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { listNetns } from "../../src/iproute/netns.js";
import type { Deployment, Node, Pod } from "../../src/model/types.js";
import { deployment, exec, PODNET, type TestLab, withLab } from "./helpers.js";

type List<T> = { items: T[] };

const NODEPORT = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
`;

async function nodeIP(lab: TestLab, node: string): Promise<string> {
  const l = await lab.json<List<Node>>(["get", "nodes"]);
  return l.items.find((n) => n.metadata.name === node)?.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "";
}

/** answers counts the requests that got an answer (one line each, --count). */
async function answers(lab: TestLab, from: string, url: string, n: number): Promise<number> {
  const r = await lab.cli(["curl", from, url, "--count", String(n), "--timeout", "1s"]);
  return r.stdout.split("\n").filter((l) => l.startsWith("{") && !l.includes('"error"')).length;
}

test(
  "lab node restart returns once the node answers: NodePorts through it and pods across nodes work at once",
  { timeout: 240_000 },
  async () => {
    await withLab(2, async (lab) => {
      await lab.ok(["apply", "-f", "-"], deployment("web", 4) + "---" + NODEPORT);
      const ip2 = await nodeIP(lab, "node-2");
      assert.equal(await answers(lab, "external", `http://${ip2}:30080/`, 5), 5, "before the restart");
      await lab.ok(["node", "restart", "node-2"]);
      assert.equal(
        await answers(lab, "external", `http://${ip2}:30080/`, 30),
        30,
        "every NodePort request through the restarted node, right away",
      );
      const pods = (await lab.json<List<Pod>>(["get", "pods"])).items.filter((p) => p.status?.phase === "Running");
      const a = pods.find((p) => p.spec.nodeName === "node-1")!;
      const b = pods.find((p) => p.spec.nodeName === "node-2")!;
      assert.equal(await answers(lab, a.metadata.name, `http://${b.status?.podIP}:8080/`, 5), 5, "pod to pod across nodes, right away");
      assert.match(await lab.ok(["status"]), /proxy running \(pid \d+, restarted 1×\)/, "status shows the proxy's restart");
    });
  },
);

/** converged checks the lab against the store: replicas running, each pod's IP on its eth0, IPAM = store, no stray namespaces. */
async function converged(lab: TestLab, replicas: number): Promise<void> {
  const d = (await lab.json<List<Deployment>>(["get", "deployments"])).items.find((x) => x.metadata.name === "web")!;
  const pods = (await lab.json<List<Pod>>(["get", "pods"])).items;
  assert.equal(pods.length, replicas, "one pod per replica");
  assert.equal((d.status as { readyReplicas?: number } | undefined)?.readyReplicas, replicas, "the Deployment is at its replicas");
  for (const p of pods) {
    assert.equal(p.status?.phase, "Running", `${p.metadata.name}: ${p.status?.message ?? ""}`);
    assert.match(await lab.ok(["exec", p.metadata.name, "--", "ip", "-4", "addr", "show", "eth0"]), new RegExp(`inet ${p.status?.podIP}/`));
  }
  const held: string[] = [];
  for (const node of ["node-1", "node-2"]) {
    const dir = join(lab.stateDir, "labs", lab.name, "nodes", node, "ipam", "podnet");
    held.push(...readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)));
  }
  assert.deepEqual(held.sort(), pods.map((p) => p.status?.podIP ?? "").sort(), "IPAM holds exactly the pods' addresses");
  const podNs = await listNetns(exec, `pn-${lab.name}-pod-`);
  assert.equal(podNs.length, replicas, "one namespace per pod, none left over");
}

test("lab apply killed at random points: the next command converges the lab and leaks nothing", { timeout: 600_000 }, async () => {
  await withLab(2, async (lab) => {
    for (let run = 0; run < 10; run++) {
      const replicas = run % 2 === 0 ? 8 : 3;
      const argv = [PODNET, "lab", "apply", "--lab", lab.name, "--state-dir", lab.stateDir, "-f", "-"];
      await exec
        .run({ argv, netns: null, stdin: deployment("web", replicas), timeoutMs: randomInt(300, 2500), okCodes: [0] })
        .catch(() => {});
      await lab.ok(["apply", "-f", "-"], deployment("web", replicas)); // the next command
      await converged(lab, replicas);
    }
  });
});

test("a vanished or replaced store is an error everywhere, and the proxies keep the last good rules", { timeout: 180_000 }, async () => {
  await withLab(1, async (lab) => {
    await lab.ok(["apply", "-f", "-"], deployment("web", 2) + "---" + NODEPORT);
    const ip = await nodeIP(lab, "node-1");
    const store = join(lab.stateDir, "labs", lab.name, "store.json");
    rmSync(store);
    const get = await lab.cli(["get", "pods"]);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /failed to read store .*it does not exist/);
    const apply = await lab.cli(["apply", "-f", "-"], deployment("other", 1));
    assert.notEqual(apply.code, 0);
    assert.doesNotMatch(apply.stderr, /namespace "default" does not exist/);
    await new Promise((r) => setTimeout(r, 3000)); // the proxy notices
    assert.equal(await answers(lab, "external", `http://${ip}:30080/`, 5), 5, "the NodePort still works");
    const rules = await lab.ok(["rules", "node-1", "-t", "nat"]);
    assert.match(rules, /--dport 30080 /, "the service's rules are still there");
    for (const text of ["{}", "[]", "null"]) {
      writeFileSync(store, text);
      const r = await lab.cli(["get", "pods"]);
      assert.notEqual(r.code, 0, text);
      assert.match(r.stderr, /not a store: want/, text);
      assert.doesNotMatch(r.stderr, /TypeError|at /, text);
    }
    writeFileSync(store, JSON.stringify({ resourceVersion: 9, objects: {} }));
    assert.match((await lab.cli(["get", "pods"])).stderr, /holds no Namespace "default", which every cluster has/);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await answers(lab, "external", `http://${ip}:30080/`, 5), 5, "an emptied store deletes no rule either");
  });
});

test(
  "host ports: the scheduler keeps a pod off nodes whose port is taken; kubelet refuses a pod pinned onto one",
  { timeout: 180_000 },
  async () => {
    await withLab(2, async (lab) => {
      await lab.ok(["apply", "-f", "-"], deployment("hp", 3, ", hostPort: 8888"));
      const pods = (await lab.json<List<Pod>>(["get", "pods"])).items;
      const running = pods.filter((p) => p.status?.phase === "Running");
      assert.equal(running.length, 2, "one per node");
      assert.deepEqual(running.map((p) => p.spec.nodeName).sort(), ["node-1", "node-2"]);
      const pending = pods.find((p) => p.status?.phase === "Pending");
      assert.match(
        String(pending?.status?.message),
        /0\/2 nodes are available: 2 node\(s\) didn't have free ports for the requested pod ports/,
      );
      const pinned = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec: {nodeName: node-1, containers: [{name: c, image: echo, ports: [{containerPort: 9000, hostPort: 9999}]}]}
`;
      await lab.ok(["apply", "-f", "-"], pinned("first"));
      await lab.cli(["apply", "-f", "-"], pinned("second"));
      const second = (await lab.json<List<Pod>>(["get", "pods"])).items.find((p) => p.metadata.name === "second");
      assert.equal(second?.status?.phase, "Failed");
      assert.match(String(second?.status?.message), /Predicate NodePorts failed/);
      const ip1 = await nodeIP(lab, "node-1");
      assert.match(await lab.ok(["curl", "external", `http://${ip1}:9999/`]), /"pod":"first"/, "the first keeps the port");
    });
  },
);
