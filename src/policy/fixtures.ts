/** Test fixtures: pods, namespaces and policies as store objects, for unit tests and the benchmark. */
import type { Namespace, NetworkPolicy, Pod } from "../model/types.js";

/** pod builds a running pod with named ports http (TCP 80), alt (TCP 81) and dns (UDP 80). */
export function pod(namespace: string, name: string, node: string, ip: string, labels: Record<string, string> = { pod: name }): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, labels },
    spec: {
      nodeName: node,
      containers: [
        {
          name: "c",
          ports: [
            { name: "serve-80-tcp", containerPort: 80 },
            { name: "serve-81-tcp", containerPort: 81 },
            { name: "serve-80-udp", containerPort: 80, protocol: "UDP" },
          ],
        },
      ],
    },
    status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
  };
}

/** namespace builds a namespace with labels. */
export function namespace(name: string, labels: Record<string, string> = { ns: name }, annotations?: Record<string, string>): Namespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels, ...(annotations ? { annotations } : {}) } };
}

/** policy builds a NetworkPolicy from its spec. */
export function policy(namespace: string, name: string, spec: NetworkPolicy["spec"]): NetworkPolicy {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace, name }, spec };
}

/** xyz is the upstream netpol tests' cluster: namespaces x, y, z with pods a, b, c, spread over two nodes. */
export function xyz(): { pods: Pod[]; namespaces: Namespace[] } {
  const pods: Pod[] = [];
  ["x", "y", "z"].forEach((ns, i) =>
    ["a", "b", "c"].forEach((p, j) => pods.push(pod(ns, p, (i * 3 + j) % 2 ? "node-2" : "node-1", `10.244.${i}.${10 + j}`))),
  );
  return { pods, namespaces: ["x", "y", "z"].map((n) => namespace(n)) };
}
