/** The lab's etcd as data: members, their command lines, certificates, the locations components open, and the roles. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDatastore } from "../store/open.js";
import type { LabConfig } from "./config.js";
import { authCommands, nodeAuthCommands, nodeRevokeCommands } from "./etcdauth.js";
import { certSpecs, etcdLocation, etcdMembers, memberArgv, memberSocket } from "./etcdmembers.js";
import { LabPaths } from "./layout.js";
import { extensions } from "./pki.js";
import { labNodes } from "./topology.js";

const paths = new LabPaths("/var/lib/podnet", "lab1");
const members = etcdMembers("lab1");

test("three members below the nodes on the underlay, each in its own namespace", () => {
  assert.deepEqual(
    members.map((m) => [m.name, m.ip, m.netns]),
    [
      ["etcd-1", "172.18.0.2", "pn-lab1-etcd-1"],
      ["etcd-2", "172.18.0.3", "pn-lab1-etcd-2"],
      ["etcd-3", "172.18.0.4", "pn-lab1-etcd-3"],
    ],
  );
});

test("a member serves clients over TLS on the underlay and on a unix socket, peers over TLS, client certificates only", () => {
  const argv = memberArgv(paths, "lab1", members, members[1]!);
  const flag = (f: string) => argv[argv.indexOf(f) + 1];
  assert.equal(flag("--listen-client-urls"), "https://172.18.0.3:2379,unixs://etcd-2:2379");
  assert.equal(flag("--initial-cluster"), "etcd-1=https://172.18.0.2:2380,etcd-2=https://172.18.0.3:2380,etcd-3=https://172.18.0.4:2380");
  assert.equal(flag("--cert-file"), "/var/lib/podnet/labs/lab1/pki/etcd-2.crt");
  assert.equal(flag("--data-dir"), "/var/lib/podnet/labs/lab1/etcd/etcd-2/data");
  for (const f of ["--client-cert-auth", "--peer-client-cert-auth"]) assert.ok(argv.includes(f), f);
  assert.equal(memberSocket(paths, members[1]!), "/var/lib/podnet/labs/lab1/etcd/etcd-2:2379");
});

test("certificates: a server one per member (its IP, and localhost for its socket), a client one per component", () => {
  const specs = certSpecs(members, labNodes(2));
  assert.deepEqual(
    specs.map((s) => s.name),
    ["etcd-1", "etcd-2", "etcd-3", "admin", "dns", "ui", "controller-1", "controller-2", "node-node-1", "node-node-2"],
  );
  assert.match(extensions(specs[0]!), /extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:172.18.0.2,DNS:localhost/);
  assert.match(extensions({ name: "admin" }), /extendedKeyUsage=clientAuth\n$/);
  assert.doesNotMatch(extensions({ name: "admin" }), /subjectAltName/);
});

test("a component's location names every member and its own certificate, and parses back", () => {
  const underlay = parseDatastore(etcdLocation(paths, members, "node-node-1", "underlay"));
  assert.deepEqual(underlay, {
    kind: "etcd",
    endpoints: ["https://172.18.0.2:2379", "https://172.18.0.3:2379", "https://172.18.0.4:2379"],
    tls: {
      ca: "/var/lib/podnet/labs/lab1/pki/ca.crt",
      cert: "/var/lib/podnet/labs/lab1/pki/node-node-1.crt",
      key: "/var/lib/podnet/labs/lab1/pki/node-node-1.key",
    },
  });
  const socket = parseDatastore(etcdLocation(paths, members, "admin", "socket"));
  assert.deepEqual(
    socket.kind === "etcd" && socket.endpoints,
    [1, 2, 3].map((i) => `unix:///var/lib/podnet/labs/lab1/etcd/etcd-${i}:2379`),
  );
});

test("roles: controllers write everything, a node only its own Node, Lease and the update mark, readers read; auth goes on last", () => {
  const cmds = authCommands({ nodes: labNodes(2) } as LabConfig).map((c) => c.join(" "));
  const grants = cmds.filter((c) => c.startsWith("role grant-permission"));
  assert.deepEqual(grants, [
    "role grant-permission controller readwrite /podnet/v1/ --prefix",
    "role grant-permission reader read /podnet/v1/ --prefix",
    "role grant-permission node-node-1 read /podnet/v1/ --prefix",
    "role grant-permission node-node-1 readwrite /podnet/v1/core/Node/_/node-1",
    "role grant-permission node-node-1 readwrite /podnet/v1/coordination.k8s.io/Lease/kube-node-lease/node-1",
    "role grant-permission node-node-1 readwrite /podnet/v1/_updates",
    "role grant-permission node-node-2 read /podnet/v1/ --prefix",
    "role grant-permission node-node-2 readwrite /podnet/v1/core/Node/_/node-2",
    "role grant-permission node-node-2 readwrite /podnet/v1/coordination.k8s.io/Lease/kube-node-lease/node-2",
    "role grant-permission node-node-2 readwrite /podnet/v1/_updates",
  ]);
  for (const u of ["root", "admin", "dns", "ui", "controller-1", "controller-2", "node-node-1", "node-node-2"])
    assert.ok(cmds.includes(`user add ${u} --no-password`), u);
  assert.ok(cmds.includes("user grant-role admin root"));
  assert.equal(cmds.at(-1), "auth enable");
  // A node added later gets the same user and role; a node removed loses both.
  assert.deepEqual(
    nodeAuthCommands("node-2").map((c) => c.join(" ")),
    cmds.filter((c) => / node-node-2( |$)/.test(c)),
  );
  assert.deepEqual(
    nodeRevokeCommands("node-2").map((c) => c.join(" ")),
    ["user delete node-node-2", "role delete node-node-2"],
  );
});
