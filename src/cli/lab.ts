/** `podnet lab …`: the lab's commands, kubectl-shaped where kubectl has an equivalent. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import { RealExecutor } from "../exec/real.js";
import { RealIptables, type Table } from "../netfilter/index.js";
import { applyManifest, deleteTargets, type Outcome, targetsFromManifest } from "../lab/apply.js";
import { Lab } from "../lab/lab.js";
import { DEFAULT_STATE_DIR, externalNetns, LabError, nodeNetns } from "../lab/layout.js";
import { processAlive } from "../util/proc.js";
import { nodeRouting } from "../lab/network.js";
import { ROUTING_MODES, type RoutingMode } from "../routing/types.js";
import { SandboxDir } from "../lab/sandbox.js";
import { type KubeObject, objectRef, resolveResource } from "../model/index.js";
import { registerLabNodes } from "./labnodes.js";
import { printObjects } from "./printers.js";

const CLIENT = fileURLToPath(new URL("../lab/echo/client.js", import.meta.url));

interface UpFlags {
  nodes: string;
  iptables: "nft" | "legacy";
  routing: RoutingMode;
  bgpRouteReflectors?: string;
  cniMode: "bridge" | "routed";
  ipFamily: "ipv4" | "dual";
}

interface Globals {
  lab: string;
  stateDir: string;
}

/** openLab opens the lab the global flags name. */
export function openLab(cmd: Command): Lab {
  const g = cmd.optsWithGlobals() as Globals;
  return new Lab(new RealExecutor(), g.stateDir, g.lab);
}

function readInput(file: string): string {
  return readFileSync(file === "-" ? 0 : file, "utf8");
}

function report(o: Outcome): void {
  for (const l of o.lines) process.stdout.write(`${l}\n`);
  for (const e of o.errors) process.stderr.write(`${e}\n`);
  if (o.errors.length > 0) process.exitCode = 1;
}

async function findPodSandbox(lab: Lab, ns: string, name: string) {
  const cfg = lab.config();
  for (const n of cfg.nodes) {
    const s = new SandboxDir(lab.paths.sandboxDir(n.name))
      .list()
      .find((x) => x.namespace === ns && x.name === name);
    if (s) return s;
  }
  throw new LabError(`failed to find pod "${ns}/${name}": no such running pod in lab "${lab.name}"`);
}

async function sourceNetns(lab: Lab, ns: string, source: string): Promise<string> {
  if (source === "external") return externalNetns(lab.name);
  if (source.startsWith("node/")) {
    const node = source.slice(5);
    if (!lab.config().nodes.some((n) => n.name === node)) throw new LabError(`failed to find node "${node}" in lab "${lab.name}"`);
    return nodeNetns(lab.name, node);
  }
  return (await findPodSandbox(lab, ns, source)).netns;
}

/** nodeCommand rewrites `birdc …` to talk to the node's own BIRD (every node has its control socket). */
function nodeCommand(lab: Lab, node: string, command: string[]): string[] {
  const [bin, ...rest] = command;
  if (bin !== "birdc" && bin !== "birdcl") return command;
  return [bin, "-s", nodeRouting(lab.exec, lab.paths, lab.config(), node).bird.socket, ...rest];
}

/** registerLab adds the `lab` command tree. */
export function registerLab(program: Command): void {
  const lab = program
    .command("lab")
    .description("a multi-node cluster made of network namespaces on this machine")
    .option("--lab <name>", "lab name (letters and digits)", process.env.PODNET_LAB ?? "lab")
    .option("--state-dir <dir>", "where labs keep state", process.env.PODNET_STATE_DIR ?? DEFAULT_STATE_DIR);
  registerLabNodes(lab);

  lab
    .command("up")
    .description("create the lab: underlay, external host and nodes")
    .option("--nodes <n>", "number of nodes", "2")
    .addOption(new Option("--iptables <flavour>", "iptables flavour the nodes use").choices(["nft", "legacy"]).default("nft"))
    .addOption(new Option("--routing <mode>", "how pods reach other nodes").choices([...ROUTING_MODES]).default("host-gw"))
    .option("--bgp-route-reflectors <nodes>", "bgp: comma-separated route-reflector nodes (default: full mesh)")
    .addOption(new Option("--cni-mode <mode>", "pod data path on each node").choices(["bridge", "routed"]).default("bridge"))
    .addOption(new Option("--ip-family <family>", "address families: ipv4, or dual for dual-stack nodes, pods and services").choices(["ipv4", "dual"]).default("ipv4"))
    .action(async (o: UpFlags, cmd: Command) => {
      const l = openLab(cmd);
      // Ctrl-C while building: finish the step in flight, then remove everything built so far.
      let interrupted = false;
      const onSignal = () => {
        interrupted = true;
        process.stderr.write("interrupted: removing the half-built lab…\n");
      };
      process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
      try {
        const cfg = await l.up(Number(o.nodes), {
          iptables: o.iptables,
          routing: { mode: o.routing, routeReflectors: o.bgpRouteReflectors?.split(",").filter(Boolean) ?? [] },
          cniMode: o.cniMode,
          ipFamily: o.ipFamily,
        });
        const names = cfg.nodes.map((n) => `${n.name} (${[n.ip, ...(n.ip6 ? [n.ip6] : [])].join(", ")})`).join(", ");
        if (!interrupted)
          process.stdout.write(`lab "${cfg.name}" is up with ${cfg.nodes.length} nodes: ${names}\n`);
      } finally {
        process.removeListener("SIGINT", onSignal).removeListener("SIGTERM", onSignal);
      }
      if (interrupted) {
        await l.down();
        process.exitCode = 130;
      }
    });

  lab
    .command("down")
    .description("remove every namespace, process and file of the lab")
    .action(async (_o, cmd: Command) => {
      const removed = await openLab(cmd).down();
      process.stdout.write(`lab removed (${removed.length} namespaces)\n`);
    });

  lab
    .command("apply")
    .description("apply Kubernetes manifests")
    .requiredOption("-f, --filename <file...>", "manifest file(s), - for stdin")
    .action(async (o: { filename: string[] }, cmd: Command) => {
      const l = openLab(cmd);
      for (const f of o.filename) report(await applyManifest(l, readInput(f), f));
    });

  lab
    .command("delete")
    .description("delete objects named by manifests or by kind and name")
    .option("-f, --filename <file...>", "manifest file(s)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .argument("[kind]")
    .argument("[names...]")
    .action(
      async (
        kind: string | undefined,
        names: string[],
        o: { filename?: string[]; namespace: string },
        cmd: Command,
      ) => {
        const l = openLab(cmd);
        const errors: string[] = [];
        const targets = (o.filename ?? []).flatMap((f) => targetsFromManifest(readInput(f), f, errors));
        if (kind) {
          const info = resolveResource(kind);
          if (!info) throw new LabError(`error: the server doesn't have a resource type "${kind}"`);
          for (const name of names) {
            const ns = info.namespaced ? o.namespace : undefined;
            const obj = { kind: info.kind, metadata: { name, namespace: ns } } as KubeObject;
            targets.push({
              kind: info.kind,
              namespace: ns,
              name,
              ref: objectRef(obj),
              resource: `${info.kind.toLowerCase()}/${name}`,
            });
          }
        }
        if (targets.length === 0 && errors.length === 0)
          throw new LabError("error: give -f FILE or KIND NAME");
        report(await deleteTargets(l, targets, errors));
      },
    );

  lab
    .command("get")
    .description("list objects")
    .argument("<resource>")
    .argument("[name]")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "all namespaces")
    .option("-o, --output <format>", "wide | yaml | json | name")
    .action(
      async (
        resource: string,
        name: string | undefined,
        o: { namespace: string; allNamespaces?: boolean; output?: string },
        cmd: Command,
      ) => {
        const l = openLab(cmd);
        l.config();
        const info = resolveResource(resource);
        if (!info) throw new LabError(`error: the server doesn't have a resource type "${resource}"`);
        const ns = info.namespaced && !o.allNamespaces ? o.namespace : undefined;
        let objs = await l.store.read((tx) => tx.list(info.kind, ns));
        if (name) {
          objs = objs.filter((x) => x.metadata.name === name);
          if (objs.length === 0)
            throw new LabError(`Error from server (NotFound): ${info.plural} "${name}" not found`);
        }
        process.stdout.write(`${printObjects(info.kind, objs, o.output, !!o.allNamespaces, !!name)}\n`);
      },
    );

  lab
    .command("exec")
    .description("run a command in a pod's network namespace")
    .argument("<pod>")
    .argument("<command...>")
    .option("-n, --namespace <ns>", "namespace", "default")
    .action(async (pod: string, command: string[], o: { namespace: string }, cmd: Command) => {
      const l = openLab(cmd);
      const s = await findPodSandbox(l, o.namespace, pod);
      process.exitCode = await l.exec.interactive({ argv: command, netns: s.netns });
    });

  lab
    .command("exec-node")
    .description("run a command in a node's network namespace")
    .argument("<node>")
    .argument("<command...>")
    .action(async (node: string, command: string[], _o, cmd: Command) => {
      const l = openLab(cmd);
      if (!l.config().nodes.some((n) => n.name === node))
        throw new LabError(`failed to find node "${node}" in lab "${l.name}"`);
      process.exitCode = await l.exec.interactive({ argv: nodeCommand(l, node, command), netns: nodeNetns(l.name, node) });
    });

  lab
    .command("curl")
    .description("fetch a URL from inside a pod, a node (node/NAME) or the external host (external)")
    .argument("<source>", "pod name, node/NAME or external")
    .argument("<urls...>", "one URL, or several to fetch each once (one line per URL)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("--timeout <ms>", "give up after this long", "5000")
    .option("-d, --data <body>", "send a body (POST) or datagram")
    .option("-c, --count <n>", "make n requests, one answer per line")
    .option("--sport <port>", "UDP source port")
    .action(
      async (
        pod: string,
        urls: string[],
        o: { namespace: string; timeout: string; data?: string; count?: string; sport?: string },
        cmd: Command,
      ) => {
        const l = openLab(cmd);
        const netns = await sourceNetns(l, o.namespace, pod);
        const argv = [
          process.execPath,
          CLIENT,
          `--timeout=${Number(o.timeout)}`,
          ...(o.data ? [`--data=${o.data}`] : []),
          ...(o.count ? [`--count=${Number(o.count)}`] : []),
          ...(o.sport ? [`--sport=${Number(o.sport)}`] : []),
          "--",
          ...urls,
        ];
        process.exitCode = await l.exec.interactive({
          argv,
          netns,
          env: { NODE_EXTRA_CA_CERTS: undefined },
        });
      },
    );

  lab
    .command("rules")
    .description("print a node's live iptables rules (iptables-save of its namespace)")
    .argument("<node>")
    .option("-t, --table <table>", "only this table (nat, filter, mangle)")
    .option("-6", "IPv6 rules (ip6tables-save)")
    .action(async (node: string, o: { table?: string; 6?: boolean }, cmd: Command) => {
      const l = openLab(cmd);
      const cfg = l.config();
      if (!cfg.nodes.some((n) => n.name === node)) throw new LabError(`failed to find node "${node}" in lab "${l.name}"`);
      const ipt = new RealIptables(l.exec, nodeNetns(l.name, node), cfg.iptables, o[6] ? 6 : 4);
      process.stdout.write(await ipt.save(o.table as Table | undefined));
    });

  lab
    .command("status")
    .description("show the lab's nodes, namespaces and pods")
    .action(async (_o, cmd: Command) => {
      const l = openLab(cmd);
      const cfg = l.config();
      const pods = await l.store.read((tx) => tx.list("Pod"));
      process.stdout.write(`lab "${cfg.name}" (created ${cfg.createdAt}), state in ${l.paths.dir}\n`);
      for (const n of cfg.nodes) {
        const sandboxes = new SandboxDir(l.paths.sandboxDir(n.name)).list();
        const alive = sandboxes.filter((s) => s.pid === undefined || processAlive(s.pid)).length;
        process.stdout.write(
          `  ${n.name}  ${n.ip}  netns ${nodeNetns(l.name, n.name)}  pods ${sandboxes.length} (${alive} serving)\n`,
        );
      }
      process.stdout.write(`  ${pods.length} pods in the store\n`);
    });
}
