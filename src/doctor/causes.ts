/**
 * The causes `podnet doctor` names, one code each (docs/doctor.md lists them): what broke, and the
 * fix a platform engineer would apply. The seeds' troubleshooting checklist (pods on one node,
 * across nodes, DNS, a ClusterIP, the control plane, egress) narrows to these.
 */

/** CAUSES maps each cause code to what it means and how to fix it. */
export const CAUSES = {
  "ip-forward-disabled": {
    summary: "the node does not forward IPv4 packets (net.ipv4.ip_forward = 0)",
    fix: "sysctl -w net.ipv4.ip_forward=1 on the node",
  },
  "forward-policy-drop": {
    summary: "the node's filter FORWARD chain drops by policy, and nothing accepts pod traffic before it",
    fix: "iptables -P FORWARD ACCEPT on the node, or accept the cluster CIDR in FORWARD",
  },
  "rp-filter-strict": {
    summary:
      "strict reverse-path filtering (rp_filter = 1) on the node's uplink drops packets that arrive on another path than their reply",
    fix: "sysctl -w net.ipv4.conf.<uplink>.rp_filter=2 (loose) on the node",
  },
  "route-missing": {
    summary: "the node lacks routes (or a VXLAN neighbour) the routing mode programs: pods behind another node are unreachable",
    fix: "run any `lab apply` (the routing agents resync), or restore the listed routes",
  },
  "vxlan-fdb-missing": {
    summary: "the node's VXLAN device has no forwarding entry for a peer's VTEP: encapsulated packets have nowhere to go",
    fix: "let the routing agent resync (any `lab apply`), or bridge fdb append <peer VTEP MAC> dev <vxlan device> dst <peer node IP>",
  },
  "bgp-daemon-down": {
    summary: "BIRD is not running on the node: it announces nothing, and its peers withdrew its routes",
    fix: "start BIRD on the node (any `lab apply` restarts it)",
  },
  "bgp-session-down": {
    summary: "a BGP session is not Established, so routes to the peer's pods are missing",
    fix: "check the peer is up and reachable on TCP 179; birdc show protocols all",
  },
  "mtu-mismatch": {
    summary: "nodes' uplinks have different MTUs: full-size packets from pods are dropped on the smaller link",
    fix: "give every node's uplink the same MTU (the pod MTU is derived from it)",
  },
  "proxy-down": {
    summary: "the node's service proxy is not running, and the service rules are gone",
    fix: "restart the proxy (`podnet proxy`; any `lab apply` does it in the lab)",
  },
  "service-rules-missing": {
    summary: "the node's service rules are missing although its proxy runs (flushed behind its back)",
    fix: "restart the node's proxy: its first sync writes every rule (a flushed chain is not noticed until a full resync)",
  },
  "agent-error": {
    summary: "a node agent reports an error and keeps the rules its last good state made",
    fix: "read the error in the agent's status and log",
  },
  "service-no-endpoints": {
    summary: "the Service has no ready endpoints",
    fix: "check the selector matches running, ready pods",
  },
  "dns-no-endpoints": {
    summary: "kube-dns has no ready endpoints: no DNS pod runs",
    fix: "scale the kube-system/coredns Deployment up",
  },
  "dns-not-answering": {
    summary: "the DNS pods are reachable in principle but do not answer",
    fix: "read the DNS pods' logs",
  },
  unknown: {
    summary: "the check failed, and none of the known causes was found",
    fix: "follow the packet: tcpdump on each node of the path, iptables-save, ip route get <dst> on each hop",
  },
} as const;

/** CauseCode is one of the documented causes. */
export type CauseCode = keyof typeof CAUSES;

/** Finding is a cause with its evidence: what was seen on which node. */
export interface Finding {
  cause: CauseCode;
  evidence: string[];
}

/** CheckResult is one line of the checklist; failed checks carry their cause, evidence and fix. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** skipped says the check could not run (no pod to probe from, say); it is ok. */
  skipped?: string;
  detail?: string;
  cause?: CauseCode;
  evidence?: string[];
  fix?: string;
}

/** failed makes a failed check from a finding. */
export function failed(name: string, detail: string, f: Finding): CheckResult {
  return { name, ok: false, detail, cause: f.cause, evidence: f.evidence, fix: CAUSES[f.cause].fix };
}
