/**
 * The service proxy `podnet agent` hosts (`--proxy-mode iptables|nftables`): the same daemon as
 * `podnet proxy`, following the cluster through the agent's own follower (a tap: one watch for
 * both). As kube-proxy does without --node-ip, it takes the node's addresses (and its zone, for
 * topology-aware routing) from the node's Node once the agent sees it; until then it is tried on
 * the agent's every pass, and after a start that failed, again two seconds later.
 */
import type { Executor } from "../exec/types.js";
import type { Node } from "../model/types.js";
import { type DaemonOptions, ProxyDaemon } from "../proxy/daemon.js";
import { byKind, type StoreSnapshot } from "../store/follow.js";
import type { SharedFollower } from "../store/shared.js";

/** HostedProxyOptions are the proxy's options as the agent hosts it: nodeIPs empty means the Node's InternalIPs. */
export type HostedProxyOptions = Omit<DaemonOptions, "storeFile" | "follower" | "log">;

const ZONE = "topology.kubernetes.io/zone";
const RETRY_MS = 2_000;

/** nodeSettings are the addresses and labels the proxy takes from the node's Node where its flags gave none. */
export function nodeSettings(o: HostedProxyOptions, node: Node | undefined): { nodeIPs: string[]; nodeLabels: Record<string, string> } {
  const ips = (node?.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address);
  const zone = node?.metadata.labels?.[ZONE];
  return {
    nodeIPs: o.cfg.nodeIPs.length ? o.cfg.nodeIPs : ips,
    nodeLabels: Object.keys(o.cfg.nodeLabels).length || !zone ? o.cfg.nodeLabels : { [ZONE]: zone },
  };
}

/** HostedProxy starts the proxy once the node is known and runs it until stopped. */
export class HostedProxy {
  private daemon: ProxyDaemon | undefined;
  private running: Promise<void> | undefined;
  private starting = false;
  private stopped = false;
  /** retryAt holds a start that failed (a port taken, rules refused) off for a while, not every tick. */
  private retryAt = 0;
  private said = "";
  /** error is why the proxy is not running (yet), or why its run ended. */
  error: string | undefined;

  constructor(
    private readonly exec: Executor,
    private readonly o: HostedProxyOptions,
    private readonly shared: SharedFollower,
    private readonly log: (line: string) => void,
  ) {}

  /** applied is the cluster version the proxy's last sync enforced (0 before it runs). */
  get applied(): number {
    return this.daemon?.applied ?? 0;
  }

  /** ensure starts the proxy when it is not running and the snapshot has the node's addresses. */
  async ensure(snap: StoreSnapshot | undefined): Promise<void> {
    if (this.running || this.starting || this.stopped || !snap || Date.now() < this.retryAt) return;
    const node = byKind<Node>(snap, "Node").find((n) => n.metadata.name === this.o.cfg.nodeName);
    const settings = nodeSettings(this.o, node);
    if (settings.nodeIPs.length === 0) return this.say(`waiting for Node "${this.o.cfg.nodeName}" to have an InternalIP`);
    this.starting = true;
    // A fresh tap per attempt: a failed start's read must not hide the cluster from the next one.
    const d = new ProxyDaemon(this.exec, {
      ...this.o,
      cfg: { ...this.o.cfg, ...settings },
      storeFile: "",
      follower: this.shared.tap(),
      log: (line) => this.log(`proxy: ${line}`),
    });
    try {
      await d.start();
      if (this.stopped) {
        // The agent stopped while the proxy started: run() returns at once, closing what start() opened.
        d.stop();
        return await d.run();
      }
      this.daemon = d;
      this.error = undefined;
      this.log(`proxy: ${this.o.mode} mode, node IPs ${settings.nodeIPs.join(", ")}`);
      // A loop that ended on an error is started again on the next pass.
      this.running = d.run().catch((e: Error) => {
        this.say(`the service proxy stopped: ${e.message}`);
        this.running = undefined;
        this.daemon = undefined;
      });
    } catch (e) {
      d.stop();
      this.retryAt = Date.now() + RETRY_MS;
      this.say(`failed to start the service proxy: ${(e as Error).message}`);
    } finally {
      this.starting = false;
    }
  }

  /** stop ends the proxy's loop; wait() waits for it. */
  stop(): void {
    this.stopped = true;
    this.daemon?.stop();
  }

  /** wait resolves once a started proxy's loop has ended. */
  async wait(): Promise<void> {
    await this.running;
  }

  private say(why: string): void {
    this.error = why;
    if (why !== this.said) this.log(why);
    this.said = why;
  }
}
