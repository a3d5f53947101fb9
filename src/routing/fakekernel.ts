/**
 * A test double of one node's kernel for the routing backends: it answers the `ip -j` / `bridge -j`
 * reads and applies the `ip -batch` / `bridge -batch` writes to in-memory tables, logging each
 * change in order — enough to check convergence, idempotency and flannel's entry ordering.
 */
import { type FakeReply, type RecordedCall, RecordingExecutor } from "../exec/fake.js";

interface Route {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  flags?: string[];
}

/** FakeKernel holds one node's routes (proto 81), neighbours, FDB and VXLAN device. */
export class FakeKernel {
  routes = new Map<string, Route>();
  neighs = new Map<string, { dst: string; lladdr: string; state: string[] }>();
  fdb = new Map<string, { mac: string; dst: string }>();
  link: Record<string, unknown> | undefined;
  /** log lists every change applied, in order ("route+ 10.244.1.0/24", "neigh+ …", "fdb- …"). */
  log: string[] = [];
  readonly exec = new RecordingExecutor((c) => this.handle(c));

  private handle(c: RecordedCall): FakeReply {
    const a = c.argv.join(" ");
    const fam = /^ip -([46]) -j route show proto 81/.exec(a)?.[1];
    if (fam) return { stdout: JSON.stringify([...this.routes.values()].filter((r) => r.dst.includes(":") === (fam === "6"))) };
    if (a.startsWith("ip -j neigh show")) return { stdout: JSON.stringify([...this.neighs.values()]) };
    if (a.startsWith("bridge -j fdb show")) return { stdout: JSON.stringify([...this.fdb.values()]) };
    if (a.startsWith("ip -j -d address show")) return this.link ? { stdout: JSON.stringify([this.link]) } : { code: 1 };
    if (a === "ip -batch -" || a === "bridge -batch -") for (const l of (c.stdin ?? "").split("\n").filter(Boolean)) this.apply(l.split(" "));
    return undefined;
  }

  private apply(w: string[]): void {
    const at = (k: string) => w[w.indexOf(k) + 1] ?? "";
    const [obj, verb, key] = w;
    if (obj === "address" && this.link) {
      const [local = "", len = "0"] = (key ?? "").split("/");
      this.link.addr_info = [...((this.link.addr_info as unknown[]) ?? []), { local, prefixlen: Number(len) }];
      return;
    }
    const k = key === "blackhole" ? (w[3] ?? "") : (key ?? "");
    if (obj === "route" && verb === "replace" && key === "blackhole") this.routes.set(k, { dst: k, type: "blackhole" });
    else if (obj === "route" && verb === "replace")
      this.routes.set(k, { dst: k, gateway: at("via"), dev: w.includes("dev") ? at("dev") : "eth0", flags: w.includes("onlink") ? ["onlink"] : [] });
    else if (obj === "route" && verb === "del") this.routes.delete(k);
    else if (obj === "neigh" && verb === "replace") this.neighs.set(k, { dst: k, lladdr: at("lladdr"), state: ["PERMANENT"] });
    else if (obj === "neigh" && verb === "del") this.neighs.delete(k);
    else if (obj === "fdb" && verb === "replace") this.fdb.set(k, { mac: k, dst: at("dst") });
    else if (obj === "fdb" && verb === "del") this.fdb.delete(k);
    else if (obj === "link" && verb === "add")
      this.link = {
        address: at("address"),
        mtu: Number(at("mtu")),
        linkinfo: { info_kind: "vxlan", info_data: { id: Number(at("id")), local: at("local"), port: Number(at("dstport")), learning: !w.includes("nolearning") } },
      };
    else if (obj === "link" && verb === "del") this.link = undefined;
    else return;
    this.log.push(`${obj}${verb === "del" ? "-" : "+"} ${k}`);
  }
}
