/**
 * The command line as a user meets it: every command and subcommand answers --help, and bad flag
 * values fail with a non-zero exit code and one line on stderr — no stack trace unless --debug.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Command } from "commander";
import { program } from "../../src/cli/main.js";
import { inParallel } from "../../src/lab/kubelet.js";
import { type CliResult, PODNET, REPO, run } from "./helpers.js";

function paths(c: Command, prefix: string[] = []): string[][] {
  return c.commands.flatMap((sub) => {
    const p = [...prefix, sub.name()];
    return [p, ...paths(sub, p)];
  });
}

test("every command and subcommand answers --help with its usage", { timeout: 120_000 }, async () => {
  const all = [[], ...paths(program())];
  assert.ok(all.length > 15, "the tree was walked");
  const results: [string[], CliResult][] = [];
  await inParallel(all, 8, async (p) => {
    results.push([p, await run([PODNET, ...p, "--help"])]);
  });
  for (const [p, r] of results) {
    assert.equal(r.code, 0, `podnet ${p.join(" ")} --help: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: podnet/, `podnet ${p.join(" ")} --help prints its usage`);
  }
  const cni = await run([`${REPO}bin/podnet-cni`, "agent", "--help"]);
  assert.equal(cni.code, 0, cni.stderr);
  assert.match(cni.stdout, /^Usage: podnet-cni agent/);
});

const BAD: string[][] = [
  ["lab", "up", "--nodes", "abc"],
  ["lab", "up", "--nodes", "0"],
  ["lab", "up", "--routing-mode", "carrier-pigeon"],
  ["lab", "up", "--ip-family", "ipv6"],
  ["lab", "up", "--iptables", "ebtables"],
  ["lab", "get", "pods", "-o", "bogus"],
  ["lab", "curl", "x", "notaurl"],
  ["lab", "curl", "x", "http://[::1"],
  ["lab", "curl", "x", "udp://10.0.0.1"],
  ["lab", "curl", "x", "http://a", "--count", "0"],
  ["lab", "curl", "x", "http://a", "--count", "2.5"],
  ["lab", "curl", "x", "http://a", "--sport", "99999"],
  ["lab", "curl", "x", "http://a", "--sport", "-5"],
  ["lab", "curl", "x", "http://a", "--timeout", "abc"],
  ["lab", "curl", "x", "http://a", "--timeout", "5000"],
  ["lab", "apply", "-f", "/nonexistent.yaml"],
  ["lab", "rules", "node-1", "-t", "bogus"],
  ["lab", "get", "pods", "--lab", "no-such-lab-here"],
  ["proxy", "--node-name", "n", "--store", "/tmp/x", "--sync-period", "soon"],
  ["proxy", "--node-name", "n", "--store", "/tmp/x", "--masquerade-bit", "32"],
  ["render", "proxy", "--node-name", "n", "-f", "/nonexistent"],
  ["render", "proxy", "--node-name", "n", "-f", "-", "--node-ip", "nope"],
  ["render", "routing", "--node-name", "n", "-f", "-", "--underlay-mtu", "abc"],
  ["render", "policy", "--node-name", "n", "-f", "-", "--deny-action", "shrug"],
  ["policy", "--node-name", "n", "--store", "/tmp/x", "--nflog-group", "70000"],
  ["bogus-command"],
];

test("bad flag values: a non-zero exit code and one line of error, with a stack only under --debug", { timeout: 120_000 }, async () => {
  const results: [string[], CliResult][] = [];
  await inParallel(BAD, 8, async (args) => {
    results.push([args, await run([PODNET, ...args], "")]);
  });
  for (const [args, r] of results) {
    const what = `podnet ${args.join(" ")}`;
    assert.notEqual(r.code, 0, `${what} succeeded`);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
  }
  const debug = await run([PODNET, "--debug", "lab", "get", "pods", "--lab", "no-such-lab-here"]);
  assert.match(debug.stderr, /^\s+at /m, "--debug shows the stack");
});

test("render policy prints a node's ipsets and rules for plain manifests, and refuses a bad policy by field", async () => {
  const manifests = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default, labels: {app: a}}
spec: {nodeName: n1, containers: [{name: c, ports: [{name: web, containerPort: 80}]}]}
status: {phase: Running, podIP: 10.244.0.5, podIPs: [{ip: 10.244.0.5}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-b}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: web}]}]
`;
  const r = await run([PODNET, "render", "policy", "--node-name", "n1", "-f", "-"], manifests);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^create PODNET-4-\S+ hash:ip,port family inet\nadd PODNET-4-\S+ 10\.244\.0\.5,tcp:80\n/m);
  assert.match(
    r.stdout,
    /^-A PODNET-PI-\S+ -p tcp -m set --match-set PODNET-4-\S+ src -m set --match-set PODNET-4-\S+ dst,dst -j MARK --set-xmark 0x10000000\/0x10000000$/m,
  );
  assert.match(r.stdout, /^add PODNET-4-MAP-INGRESS 10\.244\.0\.5 skbmark 0x1\/0xfff$/m);
  const bad = await run(
    [PODNET, "render", "policy", "--node-name", "n1", "-f", "-"],
    manifests.replace("{port: web}", "{port: web, endPort: 90}"),
  );
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /NetworkPolicy "web-from-b" is invalid: spec\.ingress\[0\]\.ports\[0\]\.endPort/);
});

test("render proxy reads objects as a real API server may store them: leading zeros, spaced source ranges", async () => {
  const manifests = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  clusterIP: 172.30.0.041
  externalIPs: [192.0.2.010]
  loadBalancerSourceRanges: [" 203.0.113.0/25"]
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
status: {loadBalancer: {ingress: [{ip: 203.0.113.007}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.05], conditions: {ready: true}}]
ports: [{port: 8080, protocol: TCP}]
`;
  const r = await run([PODNET, "render", "proxy", "--node-name", "n1", "--node-ip", "172.18.0.11", "-f", "-"], manifests);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, / -d 172\.30\.0\.41 --dport 80 -j KUBE-SVC-/);
  assert.match(r.stdout, / -d 192\.0\.2\.10 --dport 80 -j KUBE-EXT-/);
  assert.match(r.stdout, / -s 203\.0\.113\.0\/25 -j KUBE-EXT-/);
  assert.match(r.stdout, /--to-destination 10\.244\.0\.5:8080/);
});
