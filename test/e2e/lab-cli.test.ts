/**
 * The lab's commands at their rough edges (issue 19): several resources in one `get`, `-f` with a
 * directory, an empty manifest, `delete -f` of a manifest holding only kind and metadata, a shell's
 * exit status for a killed command, pod logs that go with their pods, a dead daemon in `lab status`
 * and a command before `lab up`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "../../src/model/types.js";
import { deployment, TestLab, withLab } from "./helpers.js";

type List<T> = { kind: string; items: T[] };

const SVC = `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

test("lab commands at their rough edges behave as kubectl and shells do", { timeout: 180_000 }, async () => {
  const idle = new TestLab();
  const notUp = await idle.cli(["curl", "external", "http://198.51.100.10/"]).finally(() => idle.down());
  assert.notEqual(notUp.code, 0);
  assert.match(notUp.stderr, /is not up: run "podnet lab up" first/, "before lab up: says so, no nsenter error");

  const dir = mkdtempSync(join(tmpdir(), "podnet-manifests-"));
  try {
    writeFileSync(join(dir, "1-web.yaml"), deployment("web", 2));
    writeFileSync(join(dir, "2-svc.yml"), SVC);
    writeFileSync(join(dir, "notes.txt"), "not a manifest");
    writeFileSync(join(dir, "empty.yaml"), "");
    await withLab(1, async (lab) => {
      assert.match(
        await lab.ok(["apply", "-f", dir]),
        /deployment.apps\/web created\nservice\/web created/,
        "-f DIR reads its manifests in order",
      );
      const empty = await lab.cli(["apply", "-f", join(dir, "empty.yaml")]);
      assert.equal(empty.code, 1);
      assert.equal(empty.stderr.trim(), "error: no objects passed to apply");

      const table = await lab.ok(["get", "svc,deploy"]);
      assert.match(table, /^NAME\s.*\nservice\/web\s/m, "each kind's table, names qualified");
      assert.match(table, /\n\nNAME\s.*\ndeployment.apps\/web\s/m);
      const list = await lab.json<List<{ kind: string }>>(["get", "services,deployments"]);
      assert.deepEqual(list.items.map((i) => i.kind).sort(), ["Deployment", "Service"], "-o json: one List");
      assert.deepEqual((await lab.ok(["get", "deploy", "-o", "name"])).trim(), "deployment.apps/web");

      const pods = (await lab.json<List<Pod>>(["get", "pods"])).items;
      const killed = await lab.cli(["exec", pods[0]!.metadata.name, "--", "sh", "-c", "kill -9 $$"]);
      assert.equal(killed.code, 137, "128 + SIGKILL, as shells report it");

      const podsDir = join(lab.stateDir, "labs", lab.name, "nodes", "node-1", "pods");
      assert.equal(readdirSync(podsDir).filter((f) => f.endsWith(".log")).length, 2);
      const refsOnly = join(dir, "refs.yaml");
      writeFileSync(
        refsOnly,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
      );
      assert.match(
        await lab.ok(["delete", "-f", refsOnly]),
        /deployment.apps\/web deleted\nservice\/web deleted/,
        "delete -f needs only kind and name",
      );
      assert.deepEqual(readdirSync(podsDir), [], "no records or logs of deleted pods are left");

      const status = await lab.ok(["status"]);
      const pid = Number(/proxy running \(pid (\d+)\)/.exec(status)?.[1]);
      assert.ok(pid > 0, status);
      process.kill(pid, "SIGKILL");
      await new Promise((r) => setTimeout(r, 300));
      assert.match(await lab.ok(["status"]), /proxy DEAD \(pid \d+\)/, "a dead proxy shows");
      await lab.ok(["apply", "-f", join(dir, "2-svc.yml")]); // the next command restarts it
      assert.match(await lab.ok(["status"]), /proxy running \(pid \d+, restarted 1×\)/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
