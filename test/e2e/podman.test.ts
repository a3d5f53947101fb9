/**
 * A real container runtime on podnet: Debian's podman (CNI backend) run inside a lab node's network
 * namespace starts a busybox container on the node's podnet network (the node's own conflist and
 * IPAM, shared with the lab's kubelet); the container reaches lab pods on both nodes, resolves a
 * cluster name through the DNS servers of the CNI result, and removing it releases its address and link. The recipe is docs/podman.md.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "../../src/model/types.js";
import { exec, REPO, withLab } from "./helpers.js";

type List<T> = { items: T[] };

test("podman starts a container on a podnet network that reaches lab pods", { timeout: 180_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), "podnet-podman-"));
  try {
    await withLab(
      2,
      async (lab) => {
        await lab.ok(["apply", "-f", join(REPO, "examples/web.yaml")]);
        const pods = (await lab.json<List<Pod>>(["get", "pods"])).items;
        const urls = ["node-1", "node-2"].map((n) => `http://${pods.find((p) => p.spec.nodeName === n)?.status?.podIP}:8080/`);

        const rootfs = join(work, "rootfs");
        mkdirSync(join(rootfs, "bin"), { recursive: true });
        copyFileSync("/bin/busybox", join(rootfs, "bin/busybox"));
        for (const c of ["sh", "wget", "ip", "cat", "nslookup"]) symlinkSync("busybox", join(rootfs, "bin", c));
        const nodeDir = join(lab.stateDir, "labs", lab.name, "nodes", "node-1");
        const netd = join(nodeDir, "cni", "net.d");
        writeFileSync(
          join(work, "containers.conf"),
          `[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["${join(REPO, "bin")}", "/usr/lib/cni"]\nnetwork_config_dir = "${netd}"\n`,
        );
        const ipamDir = join(lab.stateDir, "labs", lab.name, "nodes", "node-1", "ipam", "podnet");
        const held = () => readdirSync(ipamDir).filter((f) => f.startsWith("10.")).length;
        const before = held();
        const agentLog = join(nodeDir, "cni-agent.log");
        const logBefore = readFileSync(agentLog, "utf8").length;
        const r = await exec.run({
          argv: [
            "podman",
            ...["--root", join(work, "root"), "--runroot", join(work, "runroot"), "--tmpdir", join(work, "tmp")],
            ...["--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "--rm"],
            ...["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "podnet", "--rootfs", rootfs],
            ...[
              "/bin/sh",
              "-c",
              `ip -4 -o addr show eth0; for u in ${urls.join(" ")}; do wget -qO- $u; echo; done; echo ===; cat /etc/resolv.conf; nslookup kube-dns.kube-system.svc.cluster.local`,
            ],
          ],
          netns: `pn-${lab.name}-node-1`,
          env: { CONTAINERS_CONF: join(work, "containers.conf") },
          timeoutMs: 120_000,
        });
        const [addr, ...answers] = r.stdout.split("===")[0]!.trim().split("\n").filter(Boolean);
        assert.match(addr ?? "", /inet 10\.244\.0\.\d+\/24/, "the container got an address of node-1's pod CIDR");
        assert.deepEqual(
          answers.map((l) => (JSON.parse(l) as { node: string }).node),
          ["node-1", "node-2"],
          "it reaches a pod on its node and one across nodes",
        );
        // podman writes the container's resolv.conf from the CNI result's dns: the cluster DNS answers it.
        const [resolv, lookup] = (r.stdout.split("===")[1] ?? "").split("Server:");
        assert.match(resolv ?? "", /^nameserver 10\.96\.0\.10$/m, "the result's nameserver");
        assert.match(resolv ?? "", /^search svc\.cluster\.local cluster\.local$/m, "the result's search path");
        assert.match(
          lookup ?? "",
          /Name:\s+kube-dns\.kube-system\.svc\.cluster\.local\nAddress: 10\.96\.0\.10/,
          "nslookup through the cluster DNS",
        );
        assert.equal(held(), before, "podman's DEL released the container's address");
        const served = readFileSync(agentLog, "utf8").slice(logBefore).split("\n").filter(Boolean);
        assert.deepEqual(
          served.map((l) => l.split(" ")[1]),
          ["ADD", "DEL"],
          `node-1's agent (the conflist's agentSocket) served podman's ADD and DEL:\n${served.join("\n")}`,
        );
        assert.ok(
          served.every((l) => l.includes(" exit=0 ")),
          served.join("\n"),
        );
      },
      ["--dns"],
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
