/** kubectl-style output: tables (default and `-o wide`), YAML and JSON lists. */
import { stringify } from "yaml";
import { qualifiedKind } from "../model/kinds.js";
import type { Deployment, EndpointSlice, KubeObject, LabelSelector, NetworkPolicy, Node, Pod, Service, Subnet } from "../model/types.js";

/** age renders a creation time the way kubectl does (5s, 3m, 2h, 4d). */
export function age(ts: string | undefined, now = Date.now()): string {
  if (!ts) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** table aligns rows under headers with three spaces between columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
      .join("")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

type Columns = {
  headers: string[];
  wide: string[];
  row: (o: KubeObject) => string[];
  wideRow: (o: KubeObject) => string[];
};

function ports(s: Service): string {
  return (s.spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",") || "<none>";
}

const COLUMNS: Record<string, Columns> = {
  Pod: {
    headers: ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
    wide: ["IP", "NODE"],
    row: (o) => {
      const p = o as Pod;
      const ready = (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
      const n = p.spec.containers.length;
      return [p.metadata.name, `${ready ? n : 0}/${n}`, p.status?.phase ?? "Pending", "0", age(p.metadata.creationTimestamp)];
    },
    wideRow: (o) => [(o as Pod).status?.podIP ?? "<none>", (o as Pod).spec.nodeName ?? "<none>"],
  },
  Service: {
    headers: ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
    wide: ["SELECTOR"],
    row: (o) => {
      const s = o as Service;
      const ext = [...(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? ""), ...(s.spec.externalIPs ?? [])];
      const extText = ext.length
        ? ext.join(",")
        : s.spec.type === "LoadBalancer"
          ? "<pending>"
          : s.spec.type === "ExternalName"
            ? (s.spec.externalName ?? "")
            : "<none>";
      return [
        s.metadata.name,
        s.spec.type ?? "ClusterIP",
        s.spec.clusterIP ?? "<none>",
        extText,
        ports(s),
        age(s.metadata.creationTimestamp),
      ];
    },
    wideRow: (o) => [
      Object.entries((o as Service).spec.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",") || "<none>",
    ],
  },
  EndpointSlice: {
    headers: ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
    wide: [],
    row: (o) => {
      const e = o as EndpointSlice;
      const addrs = e.endpoints.flatMap((x) => x.addresses);
      return [
        e.metadata.name,
        e.addressType,
        (e.ports ?? []).map((p) => p.port).join(",") || "<unset>",
        addrs.length ? addrs.slice(0, 3).join(",") + (addrs.length > 3 ? ` + ${addrs.length - 3} more...` : "") : "<unset>",
        age(e.metadata.creationTimestamp),
      ];
    },
    wideRow: () => [],
  },
  Node: {
    headers: ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
    wide: ["INTERNAL-IP", "POD-CIDR"],
    row: (o) => [o.metadata.name, "Ready", "<none>", age(o.metadata.creationTimestamp), "podnet-lab"],
    wideRow: (o) => {
      const n = o as Node;
      return [
        n.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "<none>",
        (n.spec.podCIDRs ?? []).join(",") || "<none>",
      ];
    },
  },
  Subnet: {
    headers: ["NAME", "CIDR", "NAT", "GATEWAYTYPE", "NAMESPACES", "AGE"],
    wide: ["ACTIVE-GATEWAY", "BLOCKS"],
    row: (o) => {
      const s = o as Subnet;
      const ns = s.spec.default ? ["(default)", ...(s.spec.namespaces ?? [])] : (s.spec.namespaces ?? []);
      return [
        s.metadata.name,
        s.spec.cidrBlock,
        String(s.spec.natOutgoing !== false),
        s.spec.gatewayType ?? "distributed",
        ns.join(",") || "<none>",
        age(s.metadata.creationTimestamp),
      ];
    },
    wideRow: (o) => {
      const s = o as Subnet;
      return [s.status?.activeGateway ?? "<none>", (s.status?.blocks ?? []).map((b) => `${b.cidr}@${b.node}`).join(",") || "<none>"];
    },
  },
  Deployment: {
    headers: ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
    wide: ["SELECTOR"],
    row: (o) => {
      const d = o as Deployment & { status?: { readyReplicas?: number } };
      const r = d.spec.replicas ?? 1;
      const ready = d.status?.readyReplicas ?? 0;
      return [d.metadata.name, `${ready}/${r}`, String(r), String(ready), age(d.metadata.creationTimestamp)];
    },
    wideRow: (o) => [
      Object.entries((o as Deployment).spec.selector.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    ],
  },
  Namespace: {
    headers: ["NAME", "STATUS", "AGE"],
    wide: [],
    row: (o) => [o.metadata.name, "Active", age(o.metadata.creationTimestamp)],
    wideRow: () => [],
  },
  NetworkPolicy: {
    headers: ["NAME", "POD-SELECTOR", "AGE"],
    wide: [],
    row: (o) => [o.metadata.name, formatSelector((o as NetworkPolicy).spec.podSelector), age(o.metadata.creationTimestamp)],
    wideRow: () => [],
  },
};

/** formatSelector prints a label selector as kubectl does: `a=b,c in (d,e),f notin (g),h,!i`, `<none>` when empty. */
export function formatSelector(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${vals})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(",") || "<none>";
}

/** printObjects renders objects of one kind in the requested output format; qualify names them `kind/name` (several kinds at once, as kubectl does). */
export function printObjects(
  kind: string,
  objs: KubeObject[],
  output: string | undefined,
  allNamespaces: boolean,
  single: boolean,
  qualify = false,
  extra?: { headers: string[]; row: (o: KubeObject) => string[] },
): string {
  if (output === "json" || output === "yaml") {
    const doc = single && objs.length === 1 ? objs[0] : { apiVersion: "v1", kind: "List", items: objs, metadata: { resourceVersion: "" } };
    return output === "json" ? JSON.stringify(doc, null, 2) : stringify(doc).trimEnd();
  }
  if (output === "name") return objs.map((o) => `${qualifiedKind(o)}/${o.metadata.name}`).join("\n");
  const c = COLUMNS[kind];
  if (!c) throw new Error(`no table for kind ${kind}`);
  if (objs.length === 0) return "No resources found";
  const wide = output === "wide";
  const nsCol = allNamespaces && kind !== "Node" && kind !== "Namespace";
  const headers = [...(nsCol ? ["NAMESPACE"] : []), ...c.headers, ...(wide ? [...c.wide, ...(extra?.headers ?? [])] : [])];
  const rows = objs.map((o) => {
    const [name = "", ...rest] = c.row(o);
    return [
      ...(nsCol ? [o.metadata.namespace ?? ""] : []),
      qualify ? `${qualifiedKind(o)}/${name}` : name,
      ...rest,
      ...(wide ? [...c.wideRow(o), ...(extra?.row(o) ?? [])] : []),
    ];
  });
  return table(headers, rows);
}
