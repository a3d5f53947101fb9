import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifest } from "../parse.js";

const svc = (spec: string, name = "web") => `apiVersion: v1
kind: Service
metadata: {name: ${JSON.stringify(name)}}
spec:
${spec}`;

const deploy = (sel: string, labels = "{app: web}") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
${sel}
  template:
    metadata: {labels: ${labels}}
    spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}`;

// Each case: a manifest with one bad object and the words the error must contain.
const BAD: [string, string, RegExp][] = [
  ["unknown kind", "apiVersion: v1\nkind: Pdo\nmetadata: {name: x}", /kind: Unsupported value: "Pdo"/],
  ["wrong apiVersion", "apiVersion: v1\nkind: Deployment\nmetadata: {name: x}", /apiVersion: .*"apps\/v1"/],
  ["missing name", "apiVersion: v1\nkind: Namespace\nmetadata: {}", /metadata.name: Required value/],
  [
    "name with shell metacharacters",
    svc("  ports: [{port: 80}]", "web;rm -rf /"),
    /Service "web;rm -rf \/" is invalid: metadata.name: Invalid value/,
  ],
  [
    "name with $()",
    'apiVersion: v1\nkind: Pod\nmetadata: {name: "$(reboot)"}\nspec: {containers: [{name: c}]}',
    /metadata.name: Invalid value: "\$\(reboot\)"/,
  ],
  ["upper-case name", "apiVersion: v1\nkind: Namespace\nmetadata: {name: Prod}", /must be a DNS label/],
  ["bad clusterIP", svc("  clusterIP: 10.96.0.300\n  ports: [{port: 80}]"), /spec.clusterIP: Invalid value: "10.96.0.300"/],
  ["bad externalIP", svc('  externalIPs: ["198.51.100.x"]\n  ports: [{port: 80}]'), /spec.externalIPs\[0\]/],
  [
    "bad source range",
    svc('  type: LoadBalancer\n  loadBalancerSourceRanges: ["10.0.0.0/40"]\n  ports: [{port: 80}]'),
    /loadBalancerSourceRanges\[0\]/,
  ],
  ["duplicate service ports", svc("  ports: [{name: a, port: 80}, {name: b, port: 80}]"), /spec.ports\[1\]: Duplicate value: 80\/TCP/],
  ["duplicate port names", svc("  ports: [{name: a, port: 80}, {name: a, port: 81}]"), /spec.ports\[1\].name: Duplicate value: "a"/],
  ["unnamed multi-port", svc("  ports: [{port: 80}, {port: 81}]"), /spec.ports\[0\].name: Required value/],
  ["port out of range", svc("  ports: [{port: 70000}]"), /spec.ports\[0\].port: Invalid value: 70000/],
  ["nodePort on ClusterIP", svc("  ports: [{port: 80, nodePort: 30080}]"), /spec.ports\[0\].nodePort: Forbidden/],
  ["bad protocol", svc("  ports: [{port: 80, protocol: ICMP}]"), /spec.ports\[0\].protocol: Unsupported value: "ICMP"/],
  ["missing ports", svc("  selector: {app: web}"), /spec.ports: Required value/],
  [
    "affinity timeout",
    svc("  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}\n  ports: [{port: 80}]"),
    /timeoutSeconds/,
  ],
  ["deployment without selector", deploy(""), /spec.selector: Required value/],
  ["selector not matching labels", deploy("  selector: {matchLabels: {app: api}}"), /selector` does not match template `labels`/],
  [
    "bad selector operator",
    deploy("  selector: {matchExpressions: [{key: app, operator: Is, values: [web]}]}"),
    /operator: Unsupported value: "Is"/,
  ],
  [
    "duplicate container ports",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerPort: 80}, {containerPort: 80}]}]}",
    /ports\[1\]: Duplicate value: 80\/TCP/,
  ],
  ["no containers", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}", /spec.containers: Required value/],
  [
    "bad label value",
    'apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: "a b"}}\nspec: {containers: [{name: c}]}',
    /metadata.labels\["app"\]: Invalid value/,
  ],
  [
    "netpol bad cidr",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.1}}]}]}",
    /ipBlock.cidr: Invalid value/,
  ],
  [
    "netpol empty peer",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, ingress: [{from: [{}]}]}",
    /spec.ingress\[0\].from\[0\]: Required value: must specify a peer/,
  ],
  [
    "netpol except outside cidr",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.0.2.0/24]}}]}]}",
    /except\[0\]: Invalid value: "192.0.2.0\/24": must be a strict subset/,
  ],
  [
    "netpol endPort with a named port",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}",
    /ports\[0\].endPort: Invalid value: may not be specified without a numeric port/,
  ],
  [
    "netpol endPort below port",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}",
    /ports\[0\].endPort: Invalid value: 80/,
  ],
  [
    "netpol bad port name",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, ingress: [{ports: [{port: Web_Port}]}]}",
    /ports\[0\].port: Invalid value: "Web_Port"/,
  ],
  [
    "netpol bad selector operator",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: Within, values: [x]}]}}]}]}",
    /namespaceSelector.matchExpressions\[0\].operator: Unsupported value: "Within"/,
  ],
  [
    "netpol without podSelector",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {}",
    /spec.podSelector: Required value/,
  ],
  [
    "endpointslice bad address",
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: [{addresses: ["nope"]}]',
    /endpoints\[0\].addresses\[0\]/,
  ],
  ["not a mapping", "- a\n- b", /must be a mapping/],
];

for (const [name, text, want] of BAD) {
  test(`rejects ${name}`, () => {
    const docs = parseManifest(text);
    assert.equal(docs.length, 1);
    const d = docs[0]!;
    assert.ok("error" in d, `expected an error for ${name}`);
    assert.match(d.error.message, want);
  });
}

test("one bad object does not sink the valid ones in the same manifest", () => {
  const docs = parseManifest(`${svc("  ports: [{port: 80}]", "good")}\n---\n${svc("  ports: [{port: 0}]", "bad")}\n---\n`);
  assert.deepEqual(
    docs.map((d) => [d.ref, "error" in d]),
    [
      ['Service "good"', false],
      ['Service "bad"', true],
    ],
  );
});

test("accepts ordinary manifests, List objects and named target ports", () => {
  const docs = parseManifest(`apiVersion: v1
kind: List
items:
- ${JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } })}
- ${JSON.stringify({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "prod" },
    spec: {
      type: "NodePort",
      selector: { app: "web" },
      ports: [
        { name: "http", port: 80, targetPort: "http", nodePort: 30080 },
        { name: "dns", port: 53, protocol: "UDP" },
      ],
    },
  })}
---
${deploy("  selector: {matchLabels: {app: web}}")}`);
  assert.deepEqual(
    docs.map((d) => ("error" in d ? d.error.message : d.ref)),
    ['Namespace "prod"', 'Service "prod/web"', 'Deployment "web"'],
  );
});

test("YAML syntax errors reject the whole file", () => {
  assert.throws(() => parseManifest("a: [1, 2\n", "bad.yaml"), /failed to parse manifest "bad.yaml"/);
  assert.throws(() => parseManifest("a: 1\na: 2\n"), /failed to parse manifest/);
});
