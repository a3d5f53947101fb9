/** The lab's PKI, made with the real openssl: the CA signs every certificate (also one issued later), names and uses are right, keys are 0600. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RealExecutor } from "../exec/real.js";
import { issueCertificates, makePki } from "./pki.js";

test("makePki: a CA, a server certificate with its addresses, a client one; keys 0600; a bad name is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-pki-"));
  const exec = new RealExecutor();
  try {
    const files = await makePki(exec, join(dir, "pki"), [
      { name: "etcd-1", server: { ips: ["172.18.0.2"], dns: ["localhost"] } },
      { name: "node-node-1" },
    ]);
    for (const name of ["etcd-1", "node-node-1"]) {
      const f = files.get(name)!;
      const verify = await exec.run({ argv: ["openssl", "verify", "-CAfile", f.ca, f.cert], netns: null });
      assert.match(verify.stdout, /: OK/);
      assert.equal(statSync(f.key).mode & 0o777, 0o600, `${name}'s key`);
    }
    assert.equal(statSync(join(dir, "pki", "ca.key")).mode & 0o777, 0o600);
    const text = async (name: string) =>
      (await exec.run({ argv: ["openssl", "x509", "-noout", "-text", "-in", files.get(name)!.cert], netns: null })).stdout;
    const server = await text("etcd-1");
    assert.match(server, /Subject: CN ?= ?etcd-1/);
    assert.match(server, /IP Address:172.18.0.2, DNS:localhost|DNS:localhost, IP Address:172.18.0.2/);
    assert.match(server, /TLS Web Server Authentication, TLS Web Client Authentication/);
    const client = await text("node-node-1");
    assert.match(client, /Subject: CN ?= ?node-node-1/);
    assert.doesNotMatch(client, /Server Authentication|Subject Alternative Name/);
    await assert.rejects(makePki(exec, join(dir, "bad"), [{ name: "../x" }]), /invalid certificate name "..\/x"/);
    // A node added later gets its certificate from the same CA.
    const later = (await issueCertificates(exec, join(dir, "pki"), [{ name: "node-node-9" }])).get("node-node-9")!;
    assert.match((await exec.run({ argv: ["openssl", "verify", "-CAfile", later.ca, later.cert], netns: null })).stdout, /: OK/);
    assert.equal(statSync(later.key).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
