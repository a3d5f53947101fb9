/**
 * Cluster DNS with real queries (issue 24): dig and glibc's resolver in pods of two namespaces ask
 * kube-dns (10.96.0.10, two `podnet dns` pods behind the node proxies) for every kind of record —
 * short names through the search path, FQDNs, headless Services and their endpoints' hostnames,
 * SRV, PTR, pod names, ExternalName, a name of the upstream's test zone, names that do not exist —
 * over UDP and TCP; a Service made later answers on the first query after `lab apply` returns; with
 * one DNS pod deleted, queries keep being answered.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod, Service } from "../../src/model/types.js";
import { exec, type TestLab, withLab } from "./helpers.js";

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: dns-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: dns-b}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: dns-a}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: w1, namespace: dns-a, labels: {app: web}}
spec: {nodeName: node-2, containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: dns-a}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: pg, port: 5432, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: dns-a, labels: {app: db}}
spec: {hostname: db-0, subdomain: db, nodeName: node-1, containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-x, namespace: dns-a, labels: {app: db}}
spec: {nodeName: node-2, containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: dns-a}
spec: {type: ExternalName, externalName: www.example.test}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: dns-a}
spec: {nodeName: node-1, containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: dns-b}
spec: {nodeName: node-2, containers: [{name: c}]}
`;

const dash = (ip: string) => ip.replace(/\./g, "-");

/** dig asks from a pod (through the CLI, with the pod's resolv.conf) and returns dig's whole output. */
async function dig(lab: TestLab, ns: string, ...args: string[]): Promise<string> {
  return lab.ok(["exec", "-n", ns, "c", "--", "dig", "+tries=2", "+time=2", ...args]);
}
const short = async (lab: TestLab, ns: string, ...args: string[]) =>
  (await dig(lab, ns, "+short", ...args)).trim().split("\n").filter(Boolean).sort();
const status = async (lab: TestLab, ns: string, ...args: string[]) => /status: (\w+)/.exec(await dig(lab, ns, ...args))?.[1];

test(
  "cluster DNS: every record type from pods of two namespaces, UDP and TCP, late Services, a DNS pod deleted",
  // A liveness bound: some thirty CLI runs (dig through `lab exec`, applies) took over 240 s on a loaded machine.
  { timeout: 480_000 },
  async () => {
    await withLab(
      2,
      async (lab) => {
        await lab.ok(["apply", "-f", "-"], MANIFEST);
        const web = (await lab.json<Service>(["get", "service", "web", "-n", "dns-a"])).spec.clusterIP as string;
        const ip = async (ns: string, name: string) => (await lab.json<Pod>(["get", "pod", name, "-n", ns])).status?.podIP as string;
        const [db0, dbx, cb] = [await ip("dns-a", "db-0"), await ip("dns-a", "db-x"), await ip("dns-b", "c")];
        const fq = "web.dns-a.svc.cluster.local";

        // The resolv.conf a kubelet writes, and glibc reading it: a short name through the search path.
        assert.equal(
          await lab.ok(["exec", "-n", "dns-b", "c", "--", "cat", "/etc/resolv.conf"]),
          "nameserver 10.96.0.10\nsearch dns-b.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
        );
        assert.match(
          await lab.ok(["exec", "-n", "dns-a", "c", "--", "getent", "hosts", "web"]),
          new RegExp(`^${web.replace(/\./g, "\\.")}\\s+${fq}`),
        );
        for (const proto of ["+notcp", "+tcp"]) {
          assert.deepEqual(await short(lab, "dns-a", proto, "+search", "web"), [web], `${proto}: web from its own namespace`);
          assert.deepEqual(await short(lab, "dns-b", proto, "+search", "web.dns-a"), [web], `${proto}: web.dns-a from another namespace`);
          assert.deepEqual(await short(lab, "dns-b", proto, "+search", "web"), [], `${proto}: dns-b has no web`);
          assert.deepEqual(await short(lab, "dns-b", proto, fq), [web], `${proto}: FQDN`);
          assert.deepEqual(await short(lab, "dns-b", proto, "@10.96.0.10", fq), [web], `${proto}: dig @10.96.0.10`);
        }
        // Headless: the ready endpoints, each by hostname (or dashed address), and SRV over them.
        assert.deepEqual(await short(lab, "dns-a", "db.dns-a.svc.cluster.local"), [db0, dbx].sort());
        assert.deepEqual(await short(lab, "dns-b", "db-0.db.dns-a.svc.cluster.local"), [db0]);
        assert.deepEqual(await short(lab, "dns-b", `${dash(dbx)}.db.dns-a.svc.cluster.local`), [dbx]);
        assert.deepEqual(await short(lab, "dns-b", "SRV", "_pg._tcp.db.dns-a.svc.cluster.local"), [
          `0 50 8080 ${dash(dbx)}.db.dns-a.svc.cluster.local.`,
          "0 50 8080 db-0.db.dns-a.svc.cluster.local.",
        ]);
        const srv = await dig(lab, "dns-a", "SRV", "_http._tcp.web.dns-a.svc.cluster.local");
        assert.match(srv, /IN\s+SRV\s+0 100 80 web\.dns-a\.svc\.cluster\.local\./);
        assert.match(
          srv,
          new RegExp(`ADDITIONAL SECTION:\\nweb\\.dns-a\\.svc\\.cluster\\.local\\.\\s+5\\s+IN\\s+A\\s+${web.replace(/\./g, "\\.")}`),
        );
        // PTR for a ClusterIP, an endpoint with a hostname, a pod; the pod name itself.
        assert.deepEqual(await short(lab, "dns-b", "-x", web), [`${fq}.`]);
        assert.deepEqual(await short(lab, "dns-b", "-x", db0), ["db-0.db.dns-a.svc.cluster.local."]);
        assert.deepEqual(await short(lab, "dns-a", "-x", cb), [`${dash(cb)}.dns-b.pod.cluster.local.`]);
        assert.deepEqual(await short(lab, "dns-a", `${dash(cb)}.dns-b.pod.cluster.local`), [cb]);
        // ExternalName, the upstream's zone, names that do not exist (ours and the upstream's), NODATA.
        assert.deepEqual(await short(lab, "dns-a", "ext.dns-a.svc.cluster.local"), ["203.0.113.80", "www.example.test."]);
        assert.deepEqual(await short(lab, "dns-b", "+tcp", "www.example.test"), ["203.0.113.80"]);
        assert.equal(await status(lab, "dns-a", "nope.dns-a.svc.cluster.local"), "NXDOMAIN");
        assert.equal(await status(lab, "dns-a", "nope.example.test"), "NXDOMAIN");
        const nodata = await dig(lab, "dns-a", "AAAA", fq);
        assert.match(nodata, /status: NOERROR.*\n.*ANSWER: 0, AUTHORITY: 1/);

        // CoreDNS's endpoints on each DNS pod: metrics counting what was asked, /health, /ready.
        const dnsPods = (await lab.json<{ items: Pod[] }>(["get", "pods", "-n", "kube-system"])).items.map(
          (p) => p.status?.podIP as string,
        );
        const dnsPod = dnsPods[0] as string;
        // The Service spread the queries over both pods: their metrics together count every kind asked.
        let metrics = "";
        for (const ip of dnsPods) metrics += await lab.ok(["curl", "-n", "dns-a", "c", `http://${ip}:9153/metrics`]);
        assert.match(metrics, /^coredns_dns_requests_total\{server="dns:\/\/:53",zone="\.",proto="udp",type="SRV"\} [1-9]/m);
        assert.match(metrics, /^coredns_dns_responses_total\{server="dns:\/\/:53",zone="\.",rcode="NXDOMAIN",plugin="kubernetes"\} [1-9]/m);
        assert.match(metrics, /^coredns_dns_request_duration_seconds_bucket\{le="0.00025",/m);
        assert.match(await lab.ok(["curl", "-n", "dns-a", "c", `http://${dnsPod}:8080/health`]), /OK$/);
        assert.match(await lab.ok(["curl", "-n", "dns-a", "c", `http://${dnsPod}:8181/ready`]), /^HTTP\/1.1 200 OK\nOK$/);

        // A Service made now answers on the first query once apply returns (apply waits for the DNS pods).
        const t0 = Date.now();
        await lab.ok(
          ["apply", "-f", "-"],
          "apiVersion: v1\nkind: Service\nmetadata: {name: late, namespace: dns-b}\nspec: {ports: [{port: 81}]}\n",
        );
        const applied = Date.now() - t0;
        const late = (await lab.json<Service>(["get", "service", "late", "-n", "dns-b"])).spec.clusterIP as string;
        const ns = lab.podNetns("c", "dns-b");
        const first = await exec.run({
          argv: ["dig", "+short", "+tries=1", "+time=1", "late.dns-b.svc.cluster.local"],
          netns: ns,
          netnsFiles: true,
        });
        assert.equal(first.stdout.trim(), late);
        console.log(`  a new Service answered on the first query after lab apply returned (apply took ${applied} ms)`);

        // One DNS pod deleted while a client keeps asking: every query is answered (glibc-like retries: 2 tries of 1 s).
        const victim =
          (await lab.ok(["get", "pods", "-n", "kube-system", "-o", "name"]))
            .trim()
            .split("\n")[0]
            ?.replace(/^pod\//, "") ?? "";
        let stop = false;
        const loop = (async () => {
          let [asked, failed] = [0, 0];
          while (!stop) {
            const r = await exec
              .run({ argv: ["dig", "+short", "+tries=2", "+time=1", fq], netns: ns, netnsFiles: true })
              .catch((e: Error) => ({ stdout: e.message }));
            asked++;
            if (r.stdout.trim() !== web) failed++;
          }
          return { asked, failed };
        })();
        await new Promise((r) => setTimeout(r, 500));
        await lab.ok(["delete", "-n", "kube-system", "pod", victim]);
        await new Promise((r) => setTimeout(r, 2000));
        stop = true;
        const { asked, failed } = await loop;
        console.log(`  DNS pod ${victim} deleted: ${asked} queries, ${failed} unanswered`);
        assert.ok(asked >= 5, `the loop ran: ${asked}`);
        assert.equal(failed, 0);
        const after = (await lab.ok(["get", "pods", "-n", "kube-system"])).match(/coredns-\S+\s+1\/1\s+Running/g) ?? [];
        assert.equal(after.length, 2, "the Deployment replaced the deleted pod");
      },
      ["--dns"],
    );
  },
);
