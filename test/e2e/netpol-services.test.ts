/**
 * NetworkPolicy through Services and over time: the verdict on a ClusterIP or NodePort connection
 * is the endpoint pod's policy (ingress) and, for egress, the pod the connection lands on; an
 * established connection outlives the policy that isolates its pod; a deleted policy no longer
 * holds once `lab apply`/`delete` returns; denials in a namespace that asks for it are logged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Node, Service } from "../../src/model/types.js";
import { sockets, type TestLab, waitFor, withLab } from "./helpers.js";
import { clusterOf, manifests, podsYaml } from "./netpol-suite.js";
import type { Cluster, MPolicy } from "./netpol-model.js";

const HOLD = fileURLToPath(new URL("./tools/hold-connection.js", import.meta.url));

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: x}
spec: {type: NodePort, selector: {pod: a}, ports: [{port: 8080, targetPort: 80, nodePort: 30080}]}
`;

async function reach(lab: TestLab, from: string, url: string): Promise<boolean> {
  const [ns, name] = from.split("/") as [string, string];
  const args =
    from === "external" ? ["curl", "external", "--timeout", "1500ms", url] : ["curl", "-n", ns, name, "--timeout", "1500ms", url];
  return (await lab.cli(args)).code === 0;
}

const ip = (c: Cluster, id: string) => c.pods.find((p) => `${p.ns}/${p.name}` === id)?.ip as string;

test("through a ClusterIP and a NodePort the endpoint's policy decides; an established connection survives; deletion reopens", async () => {
  await withLab(2, async (lab) => {
    await lab.ok(["apply", "-f", "-"], `${podsYaml()}---\n${SERVICE}`);
    const c = await clusterOf(lab);
    const svc = (await lab.json<Service>(["get", "service", "web", "-n", "x"])).spec.clusterIP as string;
    const nodes = await lab.json<{ items: Node[] }>(["get", "nodes"]);
    const nodeIPs = nodes.items.map((n) => n.status?.addresses?.find((a) => a.type === "InternalIP")?.address as string);
    const cluster = `http://${svc}:8080/`;
    const nodePorts = nodeIPs.map((n) => `http://${n}:30080/`);

    // Connections to x/a opened before any policy and kept alive across the change: from y/b, which
    // the policy allows, and from z/b, which it does not (conntrack keeps it, as with Calico).
    const hold = (ns: string) => lab.cli(["exec", "-n", ns, "b", "--", process.execPath, HOLD, ip(c, "x/a"), "80", "6000", "200"]);
    const held = [hold("y"), hold("z")];
    const xa = lab.podNetns("a", "x");
    await waitFor(
      "both held connections to reach x/a",
      async () => (await sockets(xa, ["-tn", "state", "established", "sport = :80"])) >= 2,
    );
    const onlyY: MPolicy[] = [
      {
        ns: "x",
        name: "only-y",
        spec: { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }] },
      },
    ];
    await lab.ok(["apply", "-f", "-"], manifests(onlyY));
    assert.match(await lab.ok(["get", "networkpolicies", "-A"]), /^NAMESPACE +NAME +POD-SELECTOR +AGE\nx +only-y +pod=a +\S+\n?$/);
    assert.equal(await reach(lab, "y/b", cluster), true, "y/b -> ClusterIP (endpoint x/a admits y)");
    assert.equal(await reach(lab, "z/b", cluster), false, "z/b -> ClusterIP (endpoint x/a does not admit z)");
    assert.equal(await reach(lab, "z/c", `http://${ip(c, "x/a")}:80/`), false, "a new connection z/c -> x/a is denied");
    for (const u of nodePorts) assert.equal(await reach(lab, "external", u), false, `external -> ${u}`);
    assert.match(await lab.ok(["rules", "node-1", "--denied"]), /^ingress of x\/only-y +[1-9]\d* +\d+$/m);
    for (const [i, h] of held.entries()) {
      const r = JSON.parse((await h).stdout) as { sent: number; answered: number; closedEarly: boolean };
      assert.ok(r.sent >= 10 && r.answered === r.sent && !r.closedEarly, `held connection ${i} kept working: ${JSON.stringify(r)}`);
    }

    // The NodePort opens to an ipBlock that holds the external host and the nodes (SNAT from another node).
    const withBlock: MPolicy[] = [
      {
        ns: "x",
        name: "only-y",
        spec: {
          ...onlyY[0]!.spec,
          ingress: [
            {
              from: [
                { namespaceSelector: { matchLabels: { ns: "y" } } },
                { ipBlock: { cidr: "0.0.0.0/0", except: [`${ip(c, "z/b")}/32`] } },
              ],
            },
          ],
        },
      },
    ];
    await lab.ok(["apply", "-f", "-"], manifests(withBlock));
    for (const u of nodePorts) assert.equal(await reach(lab, "external", u), true, `external -> ${u} (ipBlock)`);
    assert.equal(await reach(lab, "z/b", cluster), false, "z/b is the ipBlock's exception");

    // Egress through a ClusterIP is judged by where it lands: y/c may reach x/a only.
    const egress: MPolicy[] = [
      {
        ns: "y",
        name: "to-xa",
        spec: {
          podSelector: { matchLabels: { pod: "c" } },
          policyTypes: ["Egress"],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "x" } }, podSelector: { matchLabels: { pod: "a" } } }] }],
        },
      },
    ];
    await lab.ok(["apply", "-f", "-"], manifests(egress));
    assert.equal(await reach(lab, "y/c", cluster), true, "y/c -> ClusterIP lands on x/a");
    assert.equal(await reach(lab, "y/c", `http://${ip(c, "x/b")}:80/`), false, "y/c -> x/b");

    // Bad input is refused by field and changes nothing; the valid policies keep working.
    const bad = await lab.cli(
      ["apply", "-f", "-"],
      manifests([
        { ns: "x", name: "bad-selector", spec: { podSelector: { matchExpressions: [{ key: "pod", operator: "In" }] } } },
        { ns: "x", name: "bad-cidr", spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }] } },
      ]),
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"x\/bad-selector" is invalid: spec\.podSelector\.matchExpressions\[0\]\.values: Required value/);
    assert.match(bad.stderr, /"x\/bad-cidr" is invalid: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: Invalid value: "10\.0\.0\.0\/33"/);
    assert.doesNotMatch(await lab.ok(["get", "networkpolicies", "-n", "x"]), /bad-/);
    assert.equal(await reach(lab, "y/c", cluster), true, "y/c -> ClusterIP still allowed");

    // Deleting the policies reopens at once.
    await lab.ok(["delete", "-f", "-"], manifests([...withBlock, ...egress]));
    assert.equal(await reach(lab, "z/b", cluster), true, "z/b -> ClusterIP after deletion");
    assert.equal(await reach(lab, "y/c", `http://${ip(c, "x/b")}:80/`), true, "y/c -> x/b after deletion");

    // Namespace x asks for its denials to be logged: lab policy-log names the pods, port and policy.
    await lab.ok(
      ["apply", "-f", "-"],
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {ns: x}, annotations: {podnet.io/log-denied: "true"}}\n---\n${manifests([{ ns: "x", name: "deny-all", spec: { podSelector: {} } }])}`,
    );
    assert.equal(await reach(lab, "z/c", `http://${ip(c, "x/b")}:81/`), false, "z/c -> x/b:81 under deny-all");
    const want = /^\S+Z z\/c -> x\/b:81\/TCP denied by ingress of x\/deny-all$/m;
    let log = "";
    for (let i = 0; i < 50 && !want.test(log); i++) {
      log = await lab.ok(["policy-log"]);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(log, want);
  });
});
