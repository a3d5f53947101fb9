/**
 * The hand-built reference for `bench routing`: the lab's topology (an underlay bridge in its own
 * namespace, two nodes, pods on a `cni0` bridge per node) wired by plain `ip` commands with no
 * podnet, no proxy and no netfilter rules — host-gw routes, or a flannel-style VXLAN by hand. It
 * tells how much of the cross-node cost is the topology and how much is podnet's.
 */
import { randomBytes } from "node:crypto";
import type { Executor } from "../src/exec/types.js";
import { createNetns, deleteNetns } from "../src/iproute/netns.js";
import { trackNetns } from "./interrupt.js";

/** RefLab is a hand-built 2-node, 3-pod network; pods: client and same on n1, remote on n2. */
export class RefLab {
  readonly prefix = trackNetns(`pn-ref${randomBytes(3).toString("hex")}-`);
  readonly names = ["ul", "n1", "n2", "client", "same", "remote"].map((n) => this.prefix + n);
  constructor(private readonly exec: Executor) {}

  ns(n: string): string {
    return this.prefix + n;
  }

  private async ip(ns: string, text: string): Promise<void> {
    await this.exec.run({ argv: ["ip", "-batch", "-"], netns: this.ns(ns), stdin: text });
  }

  /** up builds it in `mode` (host-gw or vxlan); pods get MTU 1450 under vxlan. */
  async up(mode: "host-gw" | "vxlan"): Promise<{ same: string; remote: string }> {
    for (const n of this.names) await createNetns(this.exec, n);
    await this.ip("ul", "link add br0 address 02:00:ac:12:00:01 type bridge\naddress add 172.18.0.1/24 dev br0\nlink set br0 up\n");
    const mtu = mode === "vxlan" ? 1450 : 1500;
    for (const i of [1, 2]) {
      const node = `n${i}`;
      await this.ip("ul", `link add u${i} type veth peer name eth0 netns ${this.ns(node)}\nlink set u${i} master br0\nlink set u${i} up\n`);
      await this.ip(
        node,
        `address add 172.18.0.1${i}/24 dev eth0\nlink set eth0 up\nlink add cni0 address 02:00:0a:f4:0${i}:01 type bridge\naddress add 10.244.${i - 1}.1/24 dev cni0\nlink set cni0 up\n`,
      );
      await this.exec.run({ argv: ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], netns: this.ns(node) });
    }
    const pods: [string, string, number][] = [
      ["client", "n1", 2],
      ["same", "n1", 3],
      ["remote", "n2", 2],
    ];
    for (const [pod, node, host] of pods) {
      const subnet = node === "n1" ? 0 : 1;
      await this.ip(
        node,
        `link add v${pod} mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${this.ns(pod)}\nlink set v${pod} master cni0\nlink set v${pod} up\n`,
      );
      await this.ip(pod, `address add 10.244.${subnet}.${host}/24 dev eth0\nlink set eth0 up\nroute add default via 10.244.${subnet}.1\n`);
    }
    if (mode === "host-gw") {
      await this.ip("n1", "route add 10.244.1.0/24 via 172.18.0.12\n");
      await this.ip("n2", "route add 10.244.0.0/24 via 172.18.0.11\n");
    } else {
      const mac = (i: number) => `02:00:00:00:00:0${i}`;
      for (const [i, peer] of [
        [1, 2],
        [2, 1],
      ] as const)
        await this.ip(
          `n${i}`,
          [
            `link add flannel.1 address ${mac(i)} mtu 1450 type vxlan id 1 local 172.18.0.1${i} dev eth0 dstport 8472 nolearning`,
            `address add 10.244.${i - 1}.0/32 dev flannel.1`,
            "link set flannel.1 up",
            `neigh add 10.244.${peer - 1}.0 lladdr ${mac(peer)} dev flannel.1 nud permanent`,
            `route add 10.244.${peer - 1}.0/24 via 10.244.${peer - 1}.0 dev flannel.1 onlink`,
            "",
          ].join("\n"),
        );
      for (const [i, peer] of [
        [1, 2],
        [2, 1],
      ] as const)
        await this.exec.run({
          argv: ["bridge", "fdb", "append", mac(peer), "dev", "flannel.1", "dst", `172.18.0.1${peer}`],
          netns: this.ns(`n${i}`),
        });
    }
    return { same: "10.244.0.3", remote: "10.244.1.2" };
  }

  /** down deletes every namespace (and the iperf3 servers inside). */
  async down(): Promise<void> {
    for (const n of [...this.names].reverse()) await deleteNetns(this.exec, n).catch(() => {});
  }
}
