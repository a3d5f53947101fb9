import assert from "node:assert/strict";
import { test } from "node:test";
import { staticIPs, staticMac } from "./staticip.js";
import type { Pod } from "./types.js";

const pod = (annotations: Record<string, string>): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", annotations },
  spec: { containers: [{ name: "c" }] },
});

test("static IP annotations: podnet's, kube-ovn's and Calico's", () => {
  const table: [Record<string, string>, string[]][] = [
    [{ "podnet.io/ip_address": "10.66.0.5" }, ["10.66.0.5"]],
    [{ "ovn.kubernetes.io/ip_address": "10.66.0.5,fd00:66::5" }, ["10.66.0.5", "fd00:66::5"]],
    [{ "cni.projectcalico.org/ipAddrs": '["10.66.0.5", "fd00:66::5"]' }, ["10.66.0.5", "fd00:66::5"]],
    [{ "podnet.io/ip_address": "10.1.0.1", "ovn.kubernetes.io/ip_address": "10.2.0.2" }, ["10.1.0.1"]],
    [{}, []],
  ];
  for (const [annotations, want] of table) assert.deepEqual(staticIPs(pod(annotations)), want, JSON.stringify(annotations));
  assert.equal(staticMac(pod({ "ovn.kubernetes.io/mac_address": "0a:58:0a:42:00:05" })), "0a:58:0a:42:00:05");
  assert.equal(staticMac(pod({})), undefined);
});
