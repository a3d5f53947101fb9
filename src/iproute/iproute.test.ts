import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { FakeIpNode } from "./fake.js";
import { RealIpNode } from "./node.js";
import { parseLink, parseRoute, parseRule } from "./parse.js";
import { renderBatches, renderText } from "./render.js";
import { IpTransaction } from "./transaction.js";

test("every object renders as iproute2 takes it, consecutive lines of one tool in one batch", () => {
  const tx = new IpTransaction()
    .addLink({ name: "br0", kind: "bridge", mtu: 1500, address: "02:00:00:00:00:01" })
    .addLink({ name: "v0", kind: "veth", up: true, master: "br0", peer: { name: "eth0", mtu: 1450, netns: "pod1" } })
    .addLink({
      name: "podnet.1",
      kind: "vxlan",
      mtu: 1450,
      vxlan: { id: 1, local: "172.18.0.11", dev: "eth0", port: 8472, learning: false },
    })
    .setLink({ name: "v0", master: "br0", up: true, hairpin: true })
    .replaceAddress({ dev: "br0", cidr: "fd00::1/64", nodad: true })
    .replaceRoute({ dst: "10.244.1.0/24", via: "10.244.1.0", dev: "podnet.1", onlink: true, proto: 81 })
    .replaceRoute({ dst: "10.244.0.0/24", blackhole: true, proto: 81, metric: 32 })
    .replaceRoute({ dst: "198.51.100.7", proto: 80, nexthops: ["172.18.0.11", "172.18.0.12"] })
    .addRule({ from: "10.77.0.0/16", table: 12345, priority: 1001, protocol: 81 })
    .replaceNeighbour({ dst: "10.244.1.0", lladdr: "02:00:00:00:00:02", dev: "podnet.1" })
    .replaceFdb({ mac: "02:00:00:00:00:02", dev: "podnet.1", dst: "172.18.0.12" })
    .delFdb({ mac: "02:00:00:00:00:03", dev: "podnet.1", dst: "172.18.0.13" })
    .delNeighbour({ dst: "10.244.2.0", dev: "podnet.1" })
    .delRoute({ dst: "default", table: 12345, proto: 81 })
    .delLink("v1");
  assert.equal(
    renderText(tx),
    `# ip -batch -
link add br0 mtu 1500 address 02:00:00:00:00:01 type bridge
link add v0 master br0 up type veth peer name eth0 mtu 1450 netns pod1
link add podnet.1 mtu 1450 type vxlan id 1 local 172.18.0.11 dev eth0 dstport 8472 nolearning
link set v0 master br0 up
link set v0 type bridge_slave hairpin on
address replace fd00::1/64 dev br0 nodad
route replace 10.244.1.0/24 via 10.244.1.0 dev podnet.1 onlink proto 81
route replace blackhole 10.244.0.0/24 proto 81 metric 32
route replace 198.51.100.7/32 proto 80 nexthop via 172.18.0.11 nexthop via 172.18.0.12
rule add from 10.77.0.0/16 lookup 12345 priority 1001 protocol 81
neigh replace 10.244.1.0 lladdr 02:00:00:00:00:02 dev podnet.1 nud permanent

# bridge -batch -
fdb replace 02:00:00:00:00:02 dev podnet.1 dst 172.18.0.12 self permanent
fdb del 02:00:00:00:00:03 dev podnet.1 dst 172.18.0.13 self

# ip -batch -
neigh del 10.244.2.0 dev podnet.1
route del default table 12345 proto 81
link del v1
`,
  );
});

test("a value that would split a line or add a word is refused", () => {
  for (const name of ["eth0\nroute del default", "a b", 'x"y', ""])
    assert.throws(() => renderBatches(new IpTransaction().delLink(name)), /unsafe value/, JSON.stringify(name));
  assert.throws(() => renderBatches(new IpTransaction().replaceRoute({ dst: "10.0.0.0/8", via: "1.2.3.4 dev lo" })), /unsafe value/);
});

test("ip -j output parses into the objects podnet writes, filtered fields filled back in", () => {
  assert.deepEqual(parseRoute({ type: "blackhole", dst: "fd00:10:244::/64", dev: "lo", metric: 1024, flags: [] }, { proto: 81 }), {
    dst: "fd00:10:244::/64",
    blackhole: true,
    proto: 81,
    metric: 1024,
  });
  assert.deepEqual(parseRoute({ dst: "10.6.0.5", gateway: "172.18.0.12", dev: "eth0", flags: ["onlink"] }), {
    dst: "10.6.0.5/32",
    via: "172.18.0.12",
    dev: "eth0",
    onlink: true,
  });
  assert.deepEqual(
    parseRoute({ dst: "default", gateway: "172.18.0.12", dev: "eth0", table: "12345", protocol: "81", flags: [] }).table,
    12345,
  );
  assert.deepEqual(parseRule({ priority: 1000, src: "10.77.0.0", srclen: 16, table: "main", suppress_prefixlen: 0, protocol: "81" }), {
    from: "10.77.0.0/16",
    table: "main",
    priority: 1000,
    suppressPrefixLength: 0,
    protocol: 81,
  });
  const { link, addresses } = parseLink({
    ifname: "podnet.1",
    flags: ["UP"],
    mtu: 1450,
    address: "02:11:22:33:44:55",
    linkinfo: { info_kind: "vxlan", info_data: { id: 1, local: "172.18.0.11", link: "eth0", port: 8472, learning: false } },
    addr_info: [
      { local: "10.244.0.0", prefixlen: 32, scope: "global" },
      { local: "fe80::1", prefixlen: 64, scope: "link" },
    ],
  });
  assert.deepEqual(link.vxlan, { id: 1, local: "172.18.0.11", dev: "eth0", port: 8472, learning: false });
  assert.deepEqual(addresses, [{ dev: "podnet.1", cidr: "10.244.0.0/32" }]);
});

test("the real node runs one process per batch in the namespace, and reads with ip -j", async () => {
  const exec = new RecordingExecutor((c) =>
    c.argv.includes("route") ? { stdout: '[{"dst":"10.244.1.0/24","gateway":"172.18.0.12","dev":"eth0","flags":[]}]' } : undefined,
  );
  const node = new RealIpNode(exec, "pn-x-node-1");
  await node.apply(
    new IpTransaction()
      .replaceNeighbour({ dst: "10.1.0.0", lladdr: "02:00:00:00:00:01", dev: "d" })
      .replaceFdb({ mac: "02:00:00:00:00:01", dev: "d", dst: "1.2.3.4" }),
  );
  assert.deepEqual(await node.routes({ family: 4, proto: 81 }), [{ dst: "10.244.1.0/24", via: "172.18.0.12", dev: "eth0", proto: 81 }]);
  assert.deepEqual(exec.commands(), [
    "[pn-x-node-1] ip -batch -",
    "[pn-x-node-1] bridge -batch -",
    "[pn-x-node-1] ip -4 -j route show proto 81",
  ]);
});

test("the fake node keeps the kernel's rules: duplicates and missing objects fail, earlier steps stay applied", async () => {
  const n = new FakeIpNode();
  await n.apply(new IpTransaction().addLink({ name: "v0", kind: "veth", peer: { name: "v1" } }).addRoute({ dst: "10.0.0.0/8", dev: "v0" }));
  assert.deepEqual(n.dump(), ["link v0 veth", "link v1 veth", "route 10.0.0.0/8 dev v0"]);
  await assert.rejects(
    n.apply(new IpTransaction().addRoute({ dst: "10.1.0.0/16", dev: "v0" }).addRoute({ dst: "10.0.0.0/8", dev: "v0" })),
    /File exists/,
  );
  assert.ok(n.dump().includes("route 10.1.0.0/16 dev v0"), "the first step of the failed batch stays");
  await n.apply(new IpTransaction().replaceRoute({ dst: "10.0.0.0/8", blackhole: true, metric: 32 }));
  assert.equal(n.routeList.length, 3, "another metric is another route");
  await assert.rejects(n.apply(new IpTransaction().delNeighbour({ dst: "10.9.9.9", dev: "v0" })), /No such file/);
  await assert.rejects(n.apply(new IpTransaction().addAddress({ dev: "nope", cidr: "10.0.0.1/32" })), /Cannot find device "nope"/);
  await n.apply(new IpTransaction().delLink("v0"));
  assert.deepEqual(n.dump(), ["route blackhole 10.0.0.0/8 metric 32"], "a veth takes its peer and its routes with it");
});
