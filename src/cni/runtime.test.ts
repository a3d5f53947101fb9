import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { RecordingExecutor } from "../exec/fake.js";
import { addNetworkList } from "./runtime.js";

const BIN = fileURLToPath(new URL("../../../bin", import.meta.url));

test("capability args reach only the plugins that declare the capability, as runtimeConfig", async () => {
  const exec = new RecordingExecutor(() => ({ stdout: JSON.stringify({ cniVersion: "1.0.0", ips: [] }) }));
  const list = {
    cniVersion: "1.0.0",
    name: "net",
    plugins: [
      { type: "podnet-cni", capabilities: { ips: true, mac: true } },
      { type: "podnet-cni", capabilities: { portMappings: true } },
      { type: "podnet-cni" },
    ],
  };
  const att = {
    containerId: "c1",
    netns: "/var/run/netns/x",
    ifname: "eth0",
    args: {},
    capabilityArgs: { ips: ["10.0.0.5"], mac: "0a:00:00:00:00:05", portMappings: [] },
  };
  await addNetworkList({ exec, hostNetns: null, cniPath: [BIN] }, list, att);
  const sent = exec.calls.map((c) => JSON.parse(c.stdin ?? "{}").runtimeConfig);
  assert.deepEqual(sent, [{ ips: ["10.0.0.5"], mac: "0a:00:00:00:00:05" }, { portMappings: [] }, undefined]);
});
