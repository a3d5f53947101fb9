import assert from "node:assert/strict";
import { test } from "node:test";
import { serveAgent } from "./metrics.js";

test("the agent's endpoint: /healthz and /readyz follow the probe, /metrics counts passes by result", async () => {
  let ready = false;
  const m = await serveAgent({ host: "127.0.0.1", port: 0 }, { alive: () => true, ready: () => ready });
  try {
    const base = `http://127.0.0.1:${m.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    ready = true;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    m.synced(0.02, "pending");
    m.synced(0.01, "converged");
    m.datastoreError();
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /^podnet_agent_routing_syncs_total\{result="pending"\} 1$/m);
    assert.match(text, /^podnet_agent_routing_syncs_total\{result="converged"\} 1$/m);
    assert.match(text, /^podnet_agent_routing_sync_duration_seconds_count 2$/m);
    assert.match(text, /^podnet_agent_datastore_errors_total 1$/m);
    assert.match(text, /^podnet_agent_ready 1$/m);
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
  } finally {
    await m.close();
  }
});
