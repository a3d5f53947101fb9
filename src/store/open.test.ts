/** Datastore locations: files, file:// and etcd:// URLs with TLS files, and the errors of bad ones. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDatastore } from "./open.js";

test("parseDatastore reads files, file:// and etcd:// locations", () => {
  const cases: [string, unknown][] = [
    ["/var/lib/podnet/labs/lab/store.json", { kind: "embedded", file: "/var/lib/podnet/labs/lab/store.json" }],
    ["store.json", { kind: "embedded", file: "store.json" }],
    ["file:///tmp/a%20b/store.json", { kind: "embedded", file: "/tmp/a b/store.json" }],
    ["etcd://127.0.0.1:2379", { kind: "etcd", endpoints: ["http://127.0.0.1:2379"] }],
    [
      "etcd://10.0.0.1:2379,10.0.0.2:2379,etcd-3.lab:2379",
      { kind: "etcd", endpoints: ["http://10.0.0.1:2379", "http://10.0.0.2:2379", "http://etcd-3.lab:2379"] },
    ],
    ["etcd://[fd00::1]:2379", { kind: "etcd", endpoints: ["http://[fd00::1]:2379"] }],
    [
      "etcd://10.0.0.1:2379?ca=/pki/ca.pem&cert=/pki/agent.pem&key=/pki/agent-key.pem",
      { kind: "etcd", endpoints: ["https://10.0.0.1:2379"], tls: { ca: "/pki/ca.pem", cert: "/pki/agent.pem", key: "/pki/agent-key.pem" } },
    ],
    [
      "etcd://unix:/var/lib/podnet/labs/a/etcd/etcd-1:2379,unix:/var/lib/podnet/labs/a/etcd/etcd-2:2379?ca=/c&cert=/d&key=/e",
      {
        kind: "etcd",
        endpoints: ["unix:///var/lib/podnet/labs/a/etcd/etcd-1:2379", "unix:///var/lib/podnet/labs/a/etcd/etcd-2:2379"],
        tls: { ca: "/c", cert: "/d", key: "/e" },
      },
    ],
  ];
  for (const [s, want] of cases) assert.deepEqual(parseDatastore(s), want, s);
});

test("parseDatastore names the location and what is wrong with it", () => {
  const cases: [string, RegExp][] = [
    ["http://127.0.0.1:2379", /failed to parse datastore "http:\/\/127.0.0.1:2379": unknown scheme "http:"/],
    ["etcd://", /want etcd:\/\/HOST:PORT/],
    ["etcd://10.0.0.1", /want etcd:\/\/HOST:PORT/],
    ["etcd://a:1;rm -rf /:2", /want etcd:\/\/HOST:PORT/],
    ["etcd://10.0.0.1:2379?ca=/pki/ca.pem", /TLS needs all of ca, cert and key/],
    ["etcd://unix:relative/sock", /want etcd:\/\/HOST:PORT/],
    ["etcd://unix:/a b", /want etcd:\/\/HOST:PORT/],
  ];
  for (const [s, re] of cases) assert.throws(() => parseDatastore(s), re, s);
});
