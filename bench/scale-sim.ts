/**
 * A simulated node for `bench scale`: the real `podnet agent` code (routing, heartbeat, and the
 * service proxy it hosts on the same follower), with its own etcd client as on a real node, over
 * an in-memory kernel (FakeNodeKernel) and a recording executor in place of iptables — so
 * hundreds fit in one process and what is measured is the datastore path: watch, snapshot,
 * compute, apply.
 */
import { AgentDaemon } from "../src/agent/daemon.js";
import { FakeNodeKernel } from "../src/dataplane/index.js";
import { RecordingExecutor } from "../src/exec/fake.js";
import type { Node } from "../src/model/types.js";
import { simDaemonOptions } from "../src/proxy/fixtures.js";
import { DEFAULT_PROXY_CONFIG } from "../src/proxy/types.js";
import { DEFAULT_ROUTING } from "../src/routing/types.js";

/** SIM_CLUSTER_CIDR holds the simulated nodes' pod CIDRs (a /24 each: more than the lab's /16 has). */
export const SIM_CLUSTER_CIDR = "10.0.0.0/8";

/** simNode is the Node object of simulated node i (from 1): its pod CIDR and underlay address. */
export function simNode(name: string, i: number): Node {
  const [hi, lo] = [Math.floor(i / 256), i % 256];
  return {
    apiVersion: "v1",
    kind: "Node",
    // Annotated for the heartbeat already, as a cluster's nodes are after their agents' first start.
    metadata: { name, labels: { "kubernetes.io/hostname": name }, annotations: { "podnet.io/heartbeat": "lease" } },
    spec: { podCIDR: `10.${100 + hi}.${lo}.0/24`, podCIDRs: [`10.${100 + hi}.${lo}.0/24`] },
    status: { addresses: [{ type: "InternalIP", address: `172.19.${hi}.${lo}` }] },
  } as Node;
}

/** SimNode is one simulated node's agent, with its proxy. */
export class SimNode {
  readonly agent: AgentDaemon;
  readonly errors: string[] = [];
  private run: Promise<void> | undefined;

  constructor(
    readonly node: Node,
    location: string,
  ) {
    const name = node.metadata.name;
    const log = (line: string) => {
      if (/^failed|error/i.test(line)) this.errors.push(line);
    };
    this.agent = new AgentDaemon(new RecordingExecutor(), {
      node: name,
      store: location,
      settings: { ...DEFAULT_ROUTING, mode: "host-gw" },
      clusterCIDRs: [SIM_CLUSTER_CIDR],
      stateDir: "/nonexistent",
      iptables: "legacy",
      resyncPeriodMs: 60_000,
      heartbeatTtlSeconds: 40,
      kernel: new FakeNodeKernel(name),
      // Node IPs from the Node, as the agent's proxy takes them without --node-ip.
      proxy: simDaemonOptions({ ...DEFAULT_PROXY_CONFIG, nodeName: name, nodeIPs: [], clusterCIDRs: [SIM_CLUSTER_CIDR] }),
      log,
    });
  }

  /** start opens the agent's client, runs its first pass (the proxy's first sync with it) and leaves it following. */
  async start(): Promise<void> {
    await this.agent.start();
    this.run = this.agent.run();
  }

  /** routesAt is the version the agent's routes converged to. */
  routesAt(): number {
    return this.agent.applied;
  }

  /** rulesAt is the version the proxy's rules were last synced to. */
  rulesAt(): number {
    return this.agent.proxyApplied;
  }

  /** stop ends the agent (and its proxy) and closes its client. */
  async stop(): Promise<void> {
    this.agent.stop();
    await this.run;
  }
}
