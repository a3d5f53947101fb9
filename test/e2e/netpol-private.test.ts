/**
 * kube-ovn's subnet isolation: a private Subnet's pods accept new connections only from the subnet
 * itself, its allowSubnets and the nodes; they may still open connections out (the replies pass),
 * and a NetworkPolicy on top must allow too.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/model/types.js";
import { type TestLab, withLab } from "./helpers.js";

const pod = (ns: string, name: string, node: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec: {nodeName: ${node}, containers: [{name: c, image: echo, ports: [{containerPort: 80}]}]}
`;

const MANIFESTS = [
  "apiVersion: v1\nkind: Namespace\nmetadata: {name: priv}\n",
  "apiVersion: v1\nkind: Namespace\nmetadata: {name: friend}\n",
  "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n",
  "apiVersion: podnet.io/v1\nkind: Subnet\nmetadata: {name: priv}\nspec: {cidrBlock: 10.70.0.0/16, namespaces: [priv], private: true, allowSubnets: [10.71.0.0/16]}\n",
  "apiVersion: podnet.io/v1\nkind: Subnet\nmetadata: {name: friend}\nspec: {cidrBlock: 10.71.0.0/16, namespaces: [friend]}\n",
  pod("priv", "p1", "node-1"),
  pod("priv", "p2", "node-2"),
  pod("friend", "f1", "node-2"),
  pod("other", "o1", "node-1"),
  pod("other", "o2", "node-2"),
].join("---\n");

async function reach(lab: TestLab, from: string, ip: string): Promise<boolean> {
  const [ns, name] = from.split("/") as [string, string];
  const source = from.startsWith("node/") ? ["curl", from] : ["curl", "-n", ns, name];
  return (await lab.cli([...source, "--timeout", "1500ms", `http://${ip}:80/`])).code === 0;
}

test("a private Subnet admits only itself, its allowSubnets and the nodes, in both directions of each pair; NetworkPolicy composes", async () => {
  await withLab(2, async (lab) => {
    await lab.ok(["apply", "-f", "-"], MANIFESTS);
    const pods = await lab.json<{ items: Pod[] }>(["get", "pods", "-A"]);
    const ip = (id: string) => pods.items.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === id)?.status?.podIP as string;
    assert.match(ip("priv/p1"), /^10\.70\./);
    const cases: [string, string, boolean][] = [
      ["priv/p1", "priv/p2", true],
      ["priv/p2", "priv/p1", true],
      ["friend/f1", "priv/p1", true],
      ["priv/p1", "friend/f1", true],
      ["other/o1", "priv/p1", false],
      ["other/o2", "priv/p1", false],
      ["other/o1", "priv/p2", false],
      ["priv/p1", "other/o1", true],
      ["priv/p2", "other/o1", true],
      ["node/node-1", "priv/p1", true],
      ["node/node-2", "priv/p1", true],
    ];
    const check = async (list: [string, string, boolean][]) => {
      const got = await Promise.all(list.map(async ([a, b]) => reach(lab, a, ip(b))));
      const wrong = list
        .filter(([, , want], i) => got[i] !== want)
        .map(([a, b, want]) => `${a} -> ${b}: expected ${want ? "allowed" : "denied"}`);
      assert.deepEqual(wrong, []);
    };
    await check(cases);
    assert.match(await lab.ok(["rules", "node-1", "--denied"]), /^private subnet priv +[1-9]\d* +\d+$/m);
    // A NetworkPolicy that admits only namespace other: the subnet still refuses other, and friend is now refused too.
    await lab.ok(
      ["apply", "-f", "-"],
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-other, namespace: priv}\nspec: {podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]}]}\n",
    );
    await check([
      ["other/o1", "priv/p1", false],
      ["friend/f1", "priv/p1", false],
      ["priv/p2", "priv/p1", false],
      ["priv/p1", "other/o1", true],
    ]);
    // Not private any more: other is admitted (by the policy), and the subnet's chain rule is gone.
    await lab.ok(["apply", "-f", "-"], MANIFESTS.replace("private: true", "private: false"));
    await check([["other/o1", "priv/p1", true]]);
    assert.doesNotMatch(await lab.ok(["rules", "node-1", "-t", "filter"]), /private subnet/);
  });
});
