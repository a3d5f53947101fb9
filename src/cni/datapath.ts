/**
 * DataPath is how one CNI mode wires an attachment whose addresses are allocated: bridge mode (the
 * reference bridge plugin's data path) and routed mode (Calico's). The ADD/DEL/CHECK/GC skeleton in
 * commands.ts is shared and applies everything; a data path supplies the node side's and the pod
 * side's iproute transactions and the result (pure), what to repair when the node side fails, what
 * CHECK verifies and which links GC may sweep.
 */
import type { NodeTransaction } from "../dataplane/index.js";
import { IP_JSON_BATCH, type IpNode, type IpRouteError, type IpTransaction, type Link } from "../iproute/index.js";
import type { IPConfig, Result, Route } from "./types.js";

/** HOST_IP_BATCH is the node side's `ip`: every ADD and DEL starts one (an agent keeps one ready). */
export const HOST_IP_BATCH = { argv: IP_JSON_BATCH, netns: null } as const;

/** FORBID_NETNS_ENV names a netns inode the plugin must never change (the lab passes the root namespace's). */
export const FORBID_NETNS_ENV = "PODNET_CNI_FORBID_NETNS_INODE";

/** Attachment is one container interface with its allocated addresses, as a data path wires it. */
export interface Attachment {
  hostVeth: string;
  /** hostAlias names the pod on the host end ("namespace/name"), so node agents find its interface. */
  hostAlias?: string;
  hostMac: string;
  podIf: string;
  podMac: string;
  /** netns is the pod's network namespace path (CNI_NETNS). */
  netns: string;
  mtu: number;
  ips: IPConfig[];
  /** routes are the IPAM result's routes (bridge mode adds them in the pod). */
  routes: Route[];
}

/** DataPath is one CNI mode. */
export interface DataPath {
  readonly mode: "bridge" | "routed";
  /** hostPlan is the node side; it creates the veth pair (its pod end straight into the pod's namespace). */
  hostPlan(a: Attachment): IpTransaction;
  /** repair makes what the node side found missing (bridge mode: the node's first pod creates the bridge) and says whether to try again. */
  repair?(host: IpNode, failure: IpRouteError): Promise<boolean>;
  /** hostSysctls are the node-side settings the new links need (routed mode: proxy ARP, forwarding). */
  hostSysctls?(a: Attachment): NodeTransaction;
  /** podPlan is the pod side: addresses, link up, routes. */
  podPlan(a: Attachment): IpTransaction;
  /** result is what ADD reports: interfaces (with the MACs the node side's batch showed), addresses, routes. */
  result(a: Attachment, shown: Link[]): Omit<Result, "cniVersion">;
  /** checkHost verifies the node side of an attachment ADD made (CHECK); it throws a CniError naming what is wrong. */
  checkHost(host: IpNode, hostVeth: string, ips: IPConfig[]): Promise<void>;
  /** sweepable lists node links of this mode that GC may delete unless a valid attachment owns them. */
  sweepable(host: IpNode): Promise<string[]>;
}
