/** Helpers for the tests of the lab on etcd: its members as `lab status` reports them, and etcdctl as one component. */
import assert from "node:assert/strict";
import { pkiDir } from "../../src/lab/etcdmembers.js";
import { LabPaths } from "../../src/lab/layout.js";
import { certFiles } from "../../src/lab/pki.js";
import type { StatusReport } from "../../src/lab/statusreport.js";
import { exec, type TestLab } from "./helpers.js";

/** Members are the etcd members of `lab status -o json`. */
export type Members = Extract<StatusReport["datastore"], { kind: "etcd" }>["members"];

/** members reads the lab's etcd members from `lab status -o json`. */
export async function members(lab: TestLab): Promise<Members> {
  const ds = (await lab.json<StatusReport>(["status"])).datastore;
  assert.equal(ds.kind, "etcd");
  return "members" in ds ? ds.members : [];
}

/** etcdctl runs etcdctl from a namespace against etcd-1 over the underlay, as who (no certificate: only the CA); it returns the exit code and output. */
export async function etcdctl(
  lab: TestLab,
  netns: string,
  who: string | undefined,
  args: string[],
): Promise<{ code: number; out: string }> {
  const f = certFiles(pkiDir(new LabPaths(lab.stateDir, lab.name)), who ?? "admin");
  const tls = ["--cacert", f.ca, ...(who ? ["--cert", f.cert, "--key", f.key] : [])];
  try {
    const r = await exec.run({
      argv: ["etcdctl", "--endpoints", "https://172.18.0.2:2379", "--dial-timeout", "2s", "--command-timeout", "3s", ...tls, ...args],
      netns,
      env: { ETCDCTL_API: "3" },
      timeoutMs: 15_000,
    });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code?: number; stderr?: string; message: string };
    return { code: err.code ?? 1, out: err.stderr ?? err.message };
  }
}
