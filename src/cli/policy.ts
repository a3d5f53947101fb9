/** `podnet policy` (the node's NetworkPolicy agent) and `podnet render policy` (its rules for plain manifests). */
import { type Command, Option } from "commander";
import { renderSections } from "../dataplane/index.js";
import { RealExecutor } from "../exec/real.js";
import { CLUSTER_KINDS, clusterObjects, clusterView } from "../policy/cluster.js";
import { compileNode } from "../policy/compile.js";
import { PolicyDaemon } from "../policy/daemon.js";
import { planPolicy } from "../policy/plan.js";
import {
  durationOption,
  familiesOf,
  filenameOption,
  type IpFamilyFlag,
  ipFamilyOption,
  type IptablesFlag,
  iptablesOption,
  intOption,
  recursiveOption,
  logLine,
  serve,
  storeOption,
} from "./flags.js";
import { readKinds } from "./manifests.js";

/** PolicyFlags are the enforcement settings both commands take. */
interface PolicyFlags {
  nodeName: string;
  ipFamily: IpFamilyFlag;
  denyAction: "drop" | "reject";
  nflogGroup: number;
}

function policyOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--node-name <name>", "this node's name (the pods with this nodeName are enforced here)")
    .addOption(ipFamilyOption())
    .addOption(
      new Option("--deny-action <action>", "what a denied packet gets: reject (an ICMP error at once) or drop")
        .choices(["reject", "drop"])
        .default("reject"),
    )
    .addOption(intOption("--nflog-group <n>", "NFLOG group of logged denials", 0, 65_535, 100));
}

/** registerPolicy adds `podnet policy`. */
export function registerPolicy(program: Command): void {
  policyOptions(program.command("policy").description("run the node's NetworkPolicy agent (iptables and ipsets)"))
    .addOption(storeOption())
    .option("--status-file <file>", "where to record each sync")
    .option("--denied-log <file>", "log the packets denied in namespaces annotated podnet.io/log-denied=true here (NFLOG via tcpdump)")
    .addOption(iptablesOption("the node uses"))
    .addOption(durationOption("--full-sync-period <duration>", "how often to compare the rules with the kernel's", "1m"))
    .addOption(durationOption("--check-period <duration>", "how often to check that the policy jumps are first in FORWARD and INPUT", "2s"))
    .action(
      async (
        o: PolicyFlags & {
          store: string;
          statusFile?: string;
          deniedLog?: string;
          iptables: IptablesFlag;
          fullSyncPeriod: number;
          checkPeriod: number;
        },
      ) => {
        const d = new PolicyDaemon(new RealExecutor(), {
          node: o.nodeName,
          storeFile: o.store,
          ...(o.statusFile ? { statusFile: o.statusFile } : {}),
          ...(o.deniedLog ? { deniedLog: o.deniedLog } : {}),
          families: familiesOf(o.ipFamily),
          iptables: o.iptables,
          deny: o.denyAction,
          nflogGroup: o.nflogGroup,
          fullSyncPeriodMs: o.fullSyncPeriod,
          checkPeriodMs: o.checkPeriod,
          log: logLine,
        });
        await serve(d);
      },
    );
}

/** registerRenderPolicy adds `podnet render policy` under `render`. */
export function registerRenderPolicy(render: Command): void {
  policyOptions(
    render
      .command("policy")
      .description("print a node's policy ipsets and iptables rules for Pods, Namespaces, NetworkPolicies, Subnets and Nodes"),
  )
    .addOption(filenameOption("Pods (with status.podIPs), Namespaces, NetworkPolicies, private Subnets, Nodes", true))
    .addOption(recursiveOption())
    .action((o: PolicyFlags & { filename: string[]; recursive?: boolean }) => {
      const view = clusterView(clusterObjects(readKinds(o, CLUSTER_KINDS)));
      const empty = { sets: new Map(), chains: new Map(), builtins: new Map() };
      for (const family of familiesOf(o.ipFamily)) {
        const desired = compileNode(view, { node: o.nodeName, family, deny: o.denyAction, nflogGroup: o.nflogGroup });
        process.stdout.write(renderSections(planPolicy(desired, empty, family).render()));
      }
    });
}
