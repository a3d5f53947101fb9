/**
 * Who may do what in the lab's etcd. With client certificates and auth on, etcd takes a client's
 * user from its certificate's common name, and its roles decide which keys it may read or write —
 * as the API server's RBAC and NodeRestriction do for a cluster: controllers write every object;
 * a node's daemons read everything but write only their own Node and Lease (and the update mark
 * every transaction of EtcdStore moves); the DNS and the web view only read. The lab's CLI is
 * root. Users have no password: a certificate is the only way in.
 */
import type { Executor } from "../exec/types.js";
import { MARK } from "../store/etcd-store.js";
import { etcdKey, PREFIX } from "../store/etcdkeys.js";
import type { LabConfig } from "./config.js";
import { CONTROLLERS, ETCD_PORTS, nodeIdentity, pkiDir } from "./etcdmembers.js";
import { LabError, type LabPaths } from "./layout.js";
import { certFiles } from "./pki.js";

const user = (name: string, role: string) => [
  ["user", "add", name, "--no-password"],
  ["user", "grant-role", name, role],
];

/** authCommands are the etcdctl commands (without the connection flags) that set up the lab's users and roles, then turn auth on. */
export function authCommands(cfg: LabConfig): string[][] {
  const out: string[][] = [
    ["role", "add", "root"],
    ...user("root", "root"),
    ...user("admin", "root"),
    ["role", "add", "controller"],
    ["role", "grant-permission", "controller", "readwrite", PREFIX, "--prefix"],
    ["role", "add", "reader"],
    ["role", "grant-permission", "reader", "read", PREFIX, "--prefix"],
    ...user("dns", "reader"),
    ...user("ui", "reader"),
  ];
  for (let i = 1; i <= CONTROLLERS; i++) out.push(...user(`controller-${i}`, "controller"));
  for (const n of cfg.nodes) {
    const who = nodeIdentity(n.name);
    out.push(
      ["role", "add", who],
      ["role", "grant-permission", who, "read", PREFIX, "--prefix"],
      ["role", "grant-permission", who, "readwrite", etcdKey({ kind: "Node", name: n.name })],
      ["role", "grant-permission", who, "readwrite", etcdKey({ kind: "Lease", namespace: "kube-node-lease", name: n.name })],
      ["role", "grant-permission", who, "readwrite", MARK],
      ...user(who, who),
    );
  }
  out.push(["auth", "enable"]);
  return out;
}

/** enableAuth runs authCommands against the first member, as the lab's admin, from the member's namespace. */
export async function enableAuth(exec: Executor, paths: LabPaths, cfg: LabConfig): Promise<void> {
  const m = cfg.datastore?.members[0];
  if (!m) return;
  const f = certFiles(pkiDir(paths), "admin");
  const conn = ["--endpoints", `https://${m.ip}:${ETCD_PORTS.client}`, "--cacert", f.ca, "--cert", f.cert, "--key", f.key];
  for (const args of authCommands(cfg)) {
    try {
      await exec.run({ argv: ["etcdctl", ...conn, ...args], netns: m.netns, env: { ETCDCTL_API: "3" }, timeoutMs: 15_000 });
    } catch (e) {
      throw new LabError(`failed to set up etcd's users and roles "${args.join(" ")}": ${(e as Error).message}`, { cause: e });
    }
  }
}
