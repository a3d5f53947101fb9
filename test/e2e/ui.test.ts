/**
 * The web view in a real headless Chromium (Debian's, driven by puppeteer-core) against a 3-node
 * lab: the topology shows every node and pod; a pod created from the CLI appears without a reload
 * within 2 s; a Service's fan-out lists its endpoints; a trace from a pod to a Service draws a path
 * ending at one of them; doctor with a node's ip_forward off turns that check red; the API refuses
 * writes. Each view's screenshot is saved under test-artifacts/ui/.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import puppeteer, { type Page } from "puppeteer-core";
import { RealExecutor } from "../../src/exec/real.js";
import { Lab } from "../../src/lab/lab.js";
import { LabUiSource } from "../../src/lab/ui.js";
import { serveUi } from "../../src/ui/serve.js";
import { deployment, exec, REPO, type TestLab, withLab } from "./helpers.js";

const ARTIFACTS = join(REPO, "test-artifacts/ui");
const CHROMIUM = "/usr/bin/chromium";

const APPS = `${deployment("web", 3)}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

const PEERS_ONLY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-peers}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]
`;

type Win = {
  podnet: { graph?: { cy: { nodes(sel: string): { length: number; map<T>(f: (n: { id(): string }) => T): T[] } } }; updates: number };
};

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) as `${string}.png` });
}

const graphIds = (page: Page, sel: string) =>
  page.evaluate((s) => (globalThis as unknown as Win).podnet.graph?.cy.nodes(s).map((n) => n.id()) ?? [], sel);

async function tab(page: Page, name: string): Promise<void> {
  const [button] = await page.$$(`xpath/.//header//button[text()="${name}"]`);
  assert.ok(button, `a ${name} tab`);
  await (button as unknown as { click(): Promise<void> }).click();
}

async function views(t: TestLab, page: Page, url: string): Promise<void> {
  const pods = (await t.json<{ items: { metadata: { name: string; namespace?: string } }[] }>(["get", "pods", "-A"])).items;
  await page.goto(url);
  await page.waitForFunction(
    (n) => (globalThis as unknown as Win).podnet.graph?.cy.nodes('[kind = "pod"]').length === n,
    { timeout: 15_000 },
    pods.length,
  );
  assert.deepEqual((await graphIds(page, '[kind = "node"]')).sort(), ["node/node-1", "node/node-2", "node/node-3"]);
  assert.deepEqual(
    (await graphIds(page, '[kind = "pod"]')).sort(),
    pods.map((p) => `pod/${p.metadata.namespace ?? "default"}/${p.metadata.name}`).sort(),
  );
  await shot(page, "topology");

  // A pod created from the CLI appears without a reload.
  await t.ok(["apply", "-f", "-"], "apiVersion: v1\nkind: Pod\nmetadata: {name: late}\nspec: {containers: [{name: c}]}\n");
  await page.waitForFunction(() => (globalThis as unknown as Win).podnet.graph?.cy.nodes('[id = "pod/default/late"]').length === 1, {
    timeout: 2_000,
  });

  await tab(page, "Services");
  const [row] = await page.$$("xpath/.//td[text()='default/web']");
  await (row as unknown as { click(): Promise<void> }).click();
  await page.waitForSelector("#fanout tr.target");
  const targets = await page.$$eval("#fanout tr.target td:first-child", (tds) => tds.map((td) => td.textContent));
  assert.equal(targets.length, 3, "three endpoints, each with its share");
  assert.equal(
    (await page.$$eval("#fanout tr.target td:nth-child(3)", (tds) => tds.map((td) => td.textContent))).join(" "),
    "33.3% 33.3% 33.3%",
  );
  await shot(page, "services");

  await tab(page, "Trace");
  await page.$eval('input[name="src"]', (el) => ((el as unknown as { value: string }).value = ""));
  await page.type('input[name="src"]', "late");
  await page.$eval('input[name="dst"]', (el) => ((el as unknown as { value: string }).value = ""));
  await page.type('input[name="dst"]', "svc/web");
  await page.click('input[name="verify"]');
  await page.click('form.trace button[type="submit"]');
  await page.waitForSelector("#verdict", { timeout: 30_000 });
  const end = await page.evaluate(() =>
    (
      globalThis as unknown as { podnet: { graph: { cy: { $(s: string): { map<T>(f: (n: { id(): string }) => T): T[] } } } } }
    ).podnet.graph.cy
      .$(".end")
      .map((n) => n.id()),
  );
  assert.equal(end.length, 1);
  assert.ok(
    targets.includes((end[0] as string).replace("pod/", "")),
    `the path ends at an endpoint of web: ${end[0]} in ${targets.join(", ")}`,
  );
  assert.match((await page.$eval("#verdict", (el) => el.textContent)) ?? "", /kernel agreed/);
  await shot(page, "trace");

  await tab(page, "Doctor");
  await exec.run({ argv: ["sysctl", "-qw", "net.ipv4.ip_forward=0"], netns: t.nodeNetns("node-2") });
  try {
    await page.click("#run-doctor");
    await page.waitForSelector(".check[data-ok]", { timeout: 120_000 });
    const failed = await page.$$eval('.check[data-ok="false"]', (els) => els.map((e) => e.textContent ?? ""));
    assert.ok(
      failed.some((f) => f.includes("ip-forward-disabled")),
      `a red check with cause ip-forward-disabled: ${failed.join(" | ")}`,
    );
    assert.deepEqual(await graphIds(page, ".hop"), ["node/node-2"], "the graph marks the node the failed checks' evidence names");
    await shot(page, "doctor");
  } finally {
    await exec.run({ argv: ["sysctl", "-qw", "net.ipv4.ip_forward=1"], netns: t.nodeNetns("node-2") });
  }

  // Only web's own pods may reach web: the matrix and the graph say that late may not.
  await t.ok(["apply", "-f", "-"], PEERS_ONLY);
  await tab(page, "Policies");
  const [webPod] = await graphIds(page, 'node[kind = "pod"][id ^= "pod/default/web-"]');
  await page.select("select", (webPod as string).replace("pod/", ""));
  await page.waitForSelector("#policies table.matrix");
  const rows = await page.$$eval("#policies table.matrix tbody tr", (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.className || td.textContent)),
  );
  assert.deepEqual(
    rows.map((r) => r.join(" ")).sort(),
    ["default/late deny", ...rows.filter((r) => r[0] !== "default/late").map((r) => `${r[0]} allow`)].sort(),
    "late is denied 8080/TCP, web's other pods are allowed",
  );
  assert.equal(rows.length, 3, "late and web's two other pods");
  assert.match((await page.$eval("#policies p", (el) => el.textContent)) ?? "", /ingress: default\/web-peers/);
  assert.deepEqual(await graphIds(page, ".denied"), ["pod/default/late"], "the graph outlines late in red");
  await shot(page, "policies");
}

test(
  "the web view in Chromium: topology, live pods, a Service's fan-out, a trace, doctor's red check; the API is read-only",
  { timeout: 600_000 },
  async () => {
    await withLab(3, async (t) => {
      await t.ok(["apply", "-f", "-"], APPS);
      const source = new LabUiSource(new Lab(new RealExecutor(), t.stateDir, t.name), () => {});
      source.start();
      const server = await serveUi(source, "127.0.0.1:0");
      const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"], headless: true });
      try {
        const page = await browser.newPage();
        await page.setViewport({ width: 1400, height: 900 });
        for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
          const r = await fetch(`${server.url}api/snapshot`, { method });
          assert.equal(r.status, 405, `${method} is refused`);
        }
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push((e as Error).message));
        page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
        try {
          await views(t, page, server.url);
        } catch (e) {
          await shot(page, "failure");
          throw new Error(`${(e as Error).message}; the page's errors: ${errors.join(" | ") || "none"}`, { cause: e });
        }
      } finally {
        await browser.close();
        await server.close();
        source.stop();
      }
    });
  },
);
