/**
 * Who may do what in the lab's etcd. With client certificates and auth on, etcd takes a client's
 * user from its certificate's common name, and its roles decide which keys it may read or write —
 * as the API server's RBAC and NodeRestriction do for a cluster: controllers write every object;
 * a node's daemons read everything but write only their own Node and Lease (and the update mark
 * every transaction of EtcdStore moves); the DNS and the web view only read. The lab's CLI is
 * root. Users have no password: a certificate is the only way in.
 */
import { rmSync } from "node:fs";
import type { Executor } from "../exec/types.js";
import { MARK } from "../store/etcd-store.js";
import { etcdKey, PREFIX } from "../store/etcdkeys.js";
import type { LabConfig } from "./config.js";
import { CONTROLLERS, ETCD_PORTS, nodeIdentity, pkiDir } from "./etcdmembers.js";
import { LabError, type LabPaths } from "./layout.js";
import { certFiles, issueCertificates } from "./pki.js";

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
  for (const n of cfg.nodes) out.push(...nodeAuthCommands(n.name));
  out.push(["auth", "enable"]);
  return out;
}

/** nodeAuthCommands give one node's daemons their user and role: read everything, write their own Node and Lease. */
export function nodeAuthCommands(node: string): string[][] {
  const who = nodeIdentity(node);
  return [
    ["role", "add", who],
    ["role", "grant-permission", who, "read", PREFIX, "--prefix"],
    ["role", "grant-permission", who, "readwrite", etcdKey({ kind: "Node", name: node })],
    ["role", "grant-permission", who, "readwrite", etcdKey({ kind: "Lease", namespace: "kube-node-lease", name: node })],
    ["role", "grant-permission", who, "readwrite", MARK],
    ...user(who, who),
  ];
}

/** nodeRevokeCommands take a removed node's user and role away: its certificate opens nothing any more. */
export function nodeRevokeCommands(node: string): string[][] {
  const who = nodeIdentity(node);
  return [
    ["user", "delete", who],
    ["role", "delete", who],
  ];
}

/** admitNode gives a node added to a running lab on etcd its certificate (from the lab's CA) and its user and role. */
export async function admitNode(exec: Executor, paths: LabPaths, cfg: LabConfig, node: string): Promise<void> {
  await issueCertificates(exec, pkiDir(paths), [{ name: nodeIdentity(node) }]);
  // A node added again after a failed add has them already.
  for (const args of nodeAuthCommands(node)) await etcdctlAsAdmin(exec, paths, cfg, args, /already exists|already granted/);
}

/** revokeNode removes a removed node's user, role and certificate. */
export async function revokeNode(exec: Executor, paths: LabPaths, cfg: LabConfig, node: string): Promise<void> {
  for (const args of nodeRevokeCommands(node)) await etcdctlAsAdmin(exec, paths, cfg, args, /not found/);
  const f = certFiles(pkiDir(paths), nodeIdentity(node));
  rmSync(f.cert, { force: true });
  rmSync(f.key, { force: true });
}

/** enableAuth runs authCommands against the members, as the lab's admin. */
export async function enableAuth(exec: Executor, paths: LabPaths, cfg: LabConfig): Promise<void> {
  for (const args of authCommands(cfg)) await etcdctlAsAdmin(exec, paths, cfg, args);
}

/** etcdctlAsAdmin runs one etcdctl command as the lab's admin from the first member's namespace (any member answering); a failure whose output matches tolerate is no failure. */
async function etcdctlAsAdmin(exec: Executor, paths: LabPaths, cfg: LabConfig, args: string[], tolerate?: RegExp): Promise<void> {
  const members = cfg.datastore?.members ?? [];
  const first = members[0];
  if (!first) return;
  const f = certFiles(pkiDir(paths), "admin");
  const endpoints = members.map((m) => `https://${m.ip}:${ETCD_PORTS.client}`).join(",");
  const conn = ["--endpoints", endpoints, "--cacert", f.ca, "--cert", f.cert, "--key", f.key];
  try {
    await exec.run({ argv: ["etcdctl", ...conn, ...args], netns: first.netns, env: { ETCDCTL_API: "3" }, timeoutMs: 15_000 });
  } catch (e) {
    if (tolerate?.test(String((e as { stderr?: string }).stderr ?? (e as Error).message))) return;
    throw new LabError(`failed to set up etcd's users and roles "${args.join(" ")}": ${(e as Error).message}`, { cause: e });
  }
}
