/**
 * Where a lab keeps things and what it names them. Every namespace of a lab starts with
 * `pn-<lab>-`, so cleanup finds all of it and two labs never collide; lab names have no '-' so one
 * lab's prefix is never another's.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

/** LabError is a lab operation that failed: `failed to <verb> <thing> "<name>": <cause>`. */
export class LabError extends Error {
  constructor(msg: string, options?: { cause?: unknown }) {
    super(msg, options);
    this.name = "LabError";
  }
}

/** checkLabName refuses lab names that could collide or escape paths. */
export function checkLabName(name: string): string {
  if (!/^[a-z0-9]{1,12}$/.test(name)) throw new LabError(`invalid lab name "${name}": use 1-12 lower-case letters and digits`);
  return name;
}

/** DEFAULT_STATE_DIR is where labs keep their state unless PODNET_STATE_DIR says otherwise. */
export const DEFAULT_STATE_DIR = "/var/lib/podnet";

/** LabPaths are the files and directories of one lab. */
export class LabPaths {
  readonly dir: string;
  constructor(
    readonly stateDir: string,
    readonly lab: string,
  ) {
    this.dir = join(stateDir, "labs", checkLabName(lab));
  }
  get config(): string {
    return join(this.dir, "lab.json");
  }
  get store(): string {
    return join(this.dir, "store.json");
  }
  get lock(): string {
    return join(this.dir, "lab.lock");
  }
  nodeDir(node: string): string {
    return join(this.dir, "nodes", node);
  }
  cniConfDir(node: string): string {
    return join(this.nodeDir(node), "cni", "net.d");
  }
  ipamDir(node: string): string {
    return join(this.nodeDir(node), "ipam");
  }
  sandboxDir(node: string): string {
    return join(this.nodeDir(node), "pods");
  }
  proxyStatus(node: string): string {
    return join(this.nodeDir(node), "proxy-status.json");
  }
  agentStatus(node: string): string {
    return join(this.nodeDir(node), "agent-status.json");
  }
  agentLog(node: string): string {
    return join(this.nodeDir(node), "agent.log");
  }
  routingDir(node: string): string {
    return join(this.nodeDir(node), "routing");
  }
  proxyLog(node: string): string {
    return join(this.nodeDir(node), "proxy.log");
  }
  policyStatus(node: string): string {
    return join(this.nodeDir(node), "policy-status.json");
  }
  policyLog(node: string): string {
    return join(this.nodeDir(node), "policy.log");
  }
  qosStatus(node: string): string {
    return join(this.nodeDir(node), "qos-status.json");
  }
  qosLog(node: string): string {
    return join(this.nodeDir(node), "qos.log");
  }
  policyDenied(node: string): string {
    return join(this.nodeDir(node), "policy-denied.log");
  }
}

/** netnsPrefix is the prefix of every namespace of a lab. */
export function netnsPrefix(lab: string): string {
  return `pn-${lab}-`;
}

/** nodeNetns names a node's namespace. */
export function nodeNetns(lab: string, node: string): string {
  return `${netnsPrefix(lab)}${node}`;
}

/** underlayNetns names the namespace holding the lab's underlay bridge and router. */
export function underlayNetns(lab: string): string {
  return `${netnsPrefix(lab)}underlay`;
}

/** externalNetns names the "outside world" host. */
export function externalNetns(lab: string): string {
  return `${netnsPrefix(lab)}external`;
}

/** podNetns names a pod sandbox's namespace from its container ID. */
export function podNetns(lab: string, containerId: string): string {
  return `${netnsPrefix(lab)}pod-${containerId.slice(0, 12)}`;
}

/** containerIdFor derives the sandbox (container) ID of a pod from its UID. */
export function containerIdFor(podUid: string): string {
  return createHash("sha256").update(podUid).digest("hex");
}
