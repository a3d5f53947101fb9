import assert from "node:assert/strict";
import { test } from "node:test";
import { podAlias, podDns } from "./names.js";

test("podDns puts the pod namespace's search domain first when the network's search path is the cluster's", () => {
  const dns = { nameservers: ["10.96.0.10"], search: ["svc.cluster.local", "cluster.local"], options: ["ndots:5"] };
  assert.deepEqual(podDns(dns, { K8S_POD_NAMESPACE: "shop", K8S_POD_NAME: "web" }), {
    ...dns,
    search: ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"],
  });
  assert.deepEqual(podDns(dns, {}), dns, "no pod identity: the network's DNS as it is");
  assert.deepEqual(podDns(dns, { K8S_POD_NAMESPACE: "Bad;Name" }), dns, "an invalid namespace is not written into the search path");
  assert.deepEqual(podDns({ nameservers: ["192.0.2.53"], search: ["corp.example"] }, { K8S_POD_NAMESPACE: "shop" }), {
    nameservers: ["192.0.2.53"],
    search: ["corp.example"],
  });
  assert.deepEqual(podDns(undefined, { K8S_POD_NAMESPACE: "shop" }), {});
  assert.equal(podAlias({ K8S_POD_NAMESPACE: "shop", K8S_POD_NAME: "web" }), "shop/web");
});
