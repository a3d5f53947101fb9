import assert from "node:assert/strict";
import { test } from "node:test";
import { makeService, makeSlice, testConfig } from "./fixtures.js";
import { serviceEndpoints } from "./endpoints.js";
import { renderContext } from "./iptables/proxier.js";
import { renderPort } from "./iptables/render.js";
import { noLocalEndpoints, serveMetrics } from "./metrics.js";
import { servicePorts } from "./serviceport.js";
import type { SyncResult } from "./iptables/proxier.js";

const ctx = renderContext(testConfig, 4, false);
function port(spec: Parameters<typeof makeService>[2], eps: { ip: string; node?: string }[]) {
  const sp = servicePorts(
    makeService("ns", "s", {
      clusterIP: "172.30.0.10",
      ports: [{ name: "p80", port: 80, protocol: "TCP", nodePort: spec.type === "NodePort" ? 30080 : undefined }],
      ...spec,
    }),
    4,
  )[0]!;
  return renderPort(sp, serviceEndpoints([makeSlice("ns", "s", eps)], 4, testConfig.nodeName).get("p80/TCP") ?? [], ctx);
}

test("noLocalEndpoints counts Local-policy ports without an endpoint on this node, per policy", () => {
  const here = { ip: "10.0.0.1", node: testConfig.nodeName };
  const there = { ip: "10.0.0.2", node: "other" };
  const cases: [string, Parameters<typeof makeService>[2], { ip: string; node?: string }[], { internal: number; external: number }][] = [
    ["cluster policies", { type: "NodePort" }, [there], { internal: 0, external: 0 }],
    ["eTP Local, endpoint elsewhere", { type: "NodePort", externalTrafficPolicy: "Local" }, [there], { internal: 0, external: 1 }],
    ["eTP Local, endpoint here", { type: "NodePort", externalTrafficPolicy: "Local" }, [here, there], { internal: 0, external: 0 }],
    ["iTP Local, endpoint elsewhere", { internalTrafficPolicy: "Local" }, [there], { internal: 1, external: 0 }],
    ["iTP Local, no endpoints at all", { internalTrafficPolicy: "Local" }, [], { internal: 1, external: 0 }],
    ["eTP Local on a ClusterIP service does not apply", { externalTrafficPolicy: "Local" }, [there], { internal: 0, external: 0 }],
  ];
  for (const [name, spec, eps, want] of cases) assert.deepEqual(noLocalEndpoints([port(spec, eps)]), want, name);
});

test("metrics are served under kube-proxy's names on /metrics, with /proxyMode", async () => {
  const m = await serveMetrics({ host: "127.0.0.1", port: 0 });
  try {
    const r = { full: false, computeMs: 2, iptablesMs: 20, otherMs: 3 } as SyncResult;
    m.synced({ ...r, full: true });
    m.synced(r);
    m.failed(false);
    m.failed(true);
    m.queued();
    const elsewhere = [{ ip: "10.0.0.2", node: "other" }];
    m.localless([
      port({ internalTrafficPolicy: "Local" }, elsewhere),
      port({ internalTrafficPolicy: "Local" }, []),
      port({ type: "NodePort", externalTrafficPolicy: "Local" }, elsewhere),
    ]);
    m.answered("/healthz", 200);
    m.answered("/healthz", 503);
    m.answered("/livez", 200);
    const base = `http://127.0.0.1:${m.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of [
      "kubeproxy_sync_proxy_rules_duration_seconds_count 2",
      'kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="0.032"} 2',
      'kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="0.016"} 0',
      "kubeproxy_sync_full_proxy_rules_duration_seconds_count 1",
      "kubeproxy_sync_partial_proxy_rules_duration_seconds_count 1",
      "podnet_proxy_sync_compute_duration_seconds_sum 0.004",
      "kubeproxy_sync_proxy_rules_iptables_restore_failures_total 2",
      "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total 1",
      'kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="internal"} 2',
      'kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="external"} 1',
      'kubeproxy_proxy_healthz_total{code="200"} 1',
      'kubeproxy_proxy_healthz_total{code="503"} 1',
      'kubeproxy_proxy_livez_total{code="200"} 1',
    ])
      assert.ok(text.split("\n").includes(line), `missing: ${line}`);
    const last = Number(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    assert.ok(Math.abs(last - Date.now() / 1000) < 60, "last sync timestamp is now");
    assert.equal(await (await fetch(`${base}/proxyMode`)).text(), "iptables");
    assert.equal((await fetch(`${base}/other`)).status, 404);
  } finally {
    await m.close();
  }
});
