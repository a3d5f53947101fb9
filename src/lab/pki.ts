/**
 * The lab's PKI for etcd, as kubeadm makes one for its etcd: a CA, a serving and peer certificate
 * per member, and a client certificate per component. etcd takes a client's identity from its
 * certificate's common name, so each component (the lab CLI, each controller, each node's
 * daemons) has its own. Made at `lab up` with openssl (EC P-256), and for a node added later from
 * the same CA; private keys are 0600.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Executor } from "../exec/types.js";
import { LabError } from "./layout.js";

/** CertSpec is one certificate the lab issues. */
export interface CertSpec {
  /** name is the file stem (NAME.crt, NAME.key) and the common name. */
  name: string;
  /** server certificates (the etcd members) carry their addresses; every certificate is a client one. */
  server?: { ips: string[]; dns: string[] };
}

/** CertFiles are where a certificate, its key and the CA that signed it are. */
export interface CertFiles {
  ca: string;
  cert: string;
  key: string;
}

const DAYS = "3650";

/** certFiles names the files of a certificate in a PKI directory. */
export function certFiles(dir: string, name: string): CertFiles {
  return { ca: join(dir, "ca.crt"), cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** extensions is the openssl extension text of a certificate: its uses and, for a server, its names. */
export function extensions(spec: CertSpec): string {
  const lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"];
  if (!spec.server) return [...lines, "extendedKeyUsage=clientAuth", ""].join("\n");
  const names = [...spec.server.ips.map((ip) => `IP:${ip}`), ...spec.server.dns.map((d) => `DNS:${d}`)];
  return [...lines, "extendedKeyUsage=serverAuth,clientAuth", `subjectAltName=${names.join(",")}`, ""].join("\n");
}

function checkName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name))
    throw new LabError(`invalid certificate name "${name}": use lower-case letters, digits and '-'`);
}

async function ssl(exec: Executor, dir: string, args: string[], what: string): Promise<void> {
  try {
    await exec.run({ argv: ["openssl", ...args], netns: null });
  } catch (e) {
    throw new LabError(`failed to make ${what} "${dir}": ${(e as Error).message}`, { cause: e });
  }
}

/** makePki creates dir with a CA and the certificates specs name; it returns the files of each. */
export async function makePki(exec: Executor, dir: string, specs: CertSpec[]): Promise<Map<string, CertFiles>> {
  for (const s of specs) checkName(s.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, "ca.key");
  await ssl(exec, dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", caKey], "the CA key");
  chmodSync(caKey, 0o600);
  await ssl(
    exec,
    dir,
    ["req", "-x509", "-new", "-key", caKey, "-subj", "/CN=podnet-lab-etcd-ca", "-days", DAYS, "-out", join(dir, "ca.crt")],
    "the CA",
  );
  return issueCertificates(exec, dir, specs);
}

/** issueCertificates signs the certificates specs name with the CA makePki made in dir (a node added later gets its own this way). */
export async function issueCertificates(exec: Executor, dir: string, specs: CertSpec[]): Promise<Map<string, CertFiles>> {
  for (const s of specs) checkName(s.name);
  const caKey = join(dir, "ca.key");
  const ca = join(dir, "ca.crt");
  const out = new Map<string, CertFiles>();
  await Promise.all(
    specs.map(async (s) => {
      const f = certFiles(dir, s.name);
      const csr = join(dir, `${s.name}.csr`);
      const ext = join(dir, `${s.name}.ext`);
      writeFileSync(ext, extensions(s));
      await ssl(
        exec,
        dir,
        ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f.key],
        `the key of ${s.name} in`,
      );
      chmodSync(f.key, 0o600);
      await ssl(exec, dir, ["req", "-new", "-key", f.key, "-subj", `/CN=${s.name}`, "-out", csr], `the request of ${s.name} in`);
      await ssl(
        exec,
        dir,
        [
          "x509",
          "-req",
          "-in",
          csr,
          "-CA",
          ca,
          "-CAkey",
          caKey,
          "-set_serial",
          `0x${randomBytes(15).toString("hex")}`,
          "-days",
          DAYS,
          "-extfile",
          ext,
          "-out",
          f.cert,
        ],
        `the certificate of ${s.name} in`,
      );
      rmSync(csr);
      rmSync(ext);
      out.set(s.name, f);
    }),
  );
  return out;
}
