import assert from "node:assert/strict";
import { test } from "node:test";
import type { NetworkPolicy } from "../model/types.js";
import { resolvePolicy } from "./model.js";
import { allowedBetween, selecting, type VPod } from "./verdict.js";

const pod = (namespace: string, name: string, app: string, ip: string): VPod => ({
  namespace,
  name,
  labels: { app },
  ip,
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
});
const np = (name: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace: "x" },
  spec,
});
const A = pod("x", "a", "web", "10.244.0.2");
const B = pod("x", "b", "client", "10.244.0.3");
const C = pod("y", "c", "client", "10.244.1.2");
const POLICIES = [
  np("web-from-clients", {
    podSelector: { matchLabels: { app: "web" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: "http" }] }],
  }),
  np("b-egress-none", { podSelector: { matchLabels: { app: "client" } }, policyTypes: ["Egress"] }),
].map(resolvePolicy);
const ns = (n: string) => ({ "kubernetes.io/metadata.name": n });

test("a policy's verdict: selected pods admit only their rules' peers and ports; both ends' policies count", () => {
  assert.deepEqual(
    selecting(POLICIES, A, "ingress").map((p) => p.key),
    ["x/web-from-clients"],
  );
  assert.deepEqual(allowedBetween(POLICIES, C, A, 8080, "TCP", ns), { ok: false }, "a podSelector peer is in the policy's namespace only");
  assert.deepEqual(
    allowedBetween(POLICIES, B, A, 8080, "TCP", ns),
    { ok: false, ingress: "x/web-from-clients" },
    "a's ingress admits b, but b's own egress policy isolates it",
  );
  assert.deepEqual(allowedBetween(POLICIES.slice(0, 1), B, A, 8080, "TCP", ns), { ok: true, ingress: "x/web-from-clients" });
  assert.deepEqual(allowedBetween(POLICIES.slice(0, 1), B, A, 9090, "TCP", ns), { ok: false }, "the named port is 8080 only");
  assert.deepEqual(allowedBetween(POLICIES, A, C, 8080, "TCP", ns), { ok: true }, "no policy selects c or a's egress");
});
