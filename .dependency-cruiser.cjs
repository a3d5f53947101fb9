// Dependency rules, checked by `npm run lint`: no import cycles, and each top-level folder of src/
// imports only the folders below it in the system's layering (README's architecture diagram).
// A folder not listed may import nothing of src/ but util.
const LAYERS = {
  util: [],
  exec: ["util"],
  model: ["util"],
  iproute: ["exec", "util"],
  netfilter: ["exec", "util"],
  dataplane: ["exec", "iproute", "netfilter", "util"],
  store: ["model", "util"],
  ipam: ["util"],
  cni: ["exec", "iproute", "netfilter", "dataplane", "ipam", "util"],
  cluster: ["model", "store", "util"],
  routing: ["exec", "iproute", "netfilter", "dataplane", "model", "util"],
  proxy: ["exec", "netfilter", "dataplane", "model", "store", "util"],
  policy: ["exec", "netfilter", "dataplane", "model", "store", "util"],
  lab: ["exec", "iproute", "netfilter", "dataplane", "model", "store", "ipam", "cni", "cluster", "routing", "proxy", "policy", "util"],
  cli: [
    "exec",
    "iproute",
    "netfilter",
    "dataplane",
    "model",
    "store",
    "ipam",
    "cni",
    "cluster",
    "routing",
    "proxy",
    "policy",
    "lab",
    "util",
  ],
};

const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => ({
  name: `layer-${folder}`,
  comment: `src/${folder} may import only ${allowed.length ? allowed.map((a) => `src/${a}`).join(", ") : "nothing else of src/"}`,
  severity: "error",
  from: { path: `^src/${folder}/` },
  to: { path: "^src/", pathNot: `^src/(${[folder, ...allowed].join("|")})/` },
}));

module.exports = {
  forbidden: [
    { name: "no-circular", comment: "import cycles make layers meaningless", severity: "error", from: {}, to: { circular: true } },
    {
      name: "src-not-to-tests",
      comment: "src/ never imports test/ or bench/",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "unknown-folder",
      comment: "a new top-level folder of src/ gets a line in LAYERS first",
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(${Object.keys(LAYERS).join("|")})/` },
      to: { path: "^src/" },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
