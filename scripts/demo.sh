#!/usr/bin/env bash
# The demo: a 2-node lab, a Deployment of 3 echo pods and a Service, printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
./bin/podnet lab down --lab demo >/dev/null
./bin/podnet lab up --lab demo --nodes 2
./bin/podnet lab apply --lab demo -f examples/web.yaml
echo
./bin/podnet lab get nodes --lab demo -o wide
echo
./bin/podnet lab get pods --lab demo -o wide
echo
./bin/podnet lab get services --lab demo
first=$(./bin/podnet lab get pods --lab demo -o json | node -e '
  const l = JSON.parse(require("fs").readFileSync(0, "utf8")).items;
  const a = l[0], b = l.find((p) => p !== a && p.spec.nodeName === a.spec.nodeName) ?? l[1];
  console.log(a.metadata.name, b.status.podIP)')
read -r from to <<<"$first"
echo
echo "\$ ./bin/podnet lab curl --lab demo $from http://$to:8080/"
./bin/podnet lab curl --lab demo "$from" "http://$to:8080/"
echo
echo "The lab stays up: try ./bin/podnet lab exec --lab demo $from -- ping -c1 $to"
echo "Remove it with:   ./bin/podnet lab down --lab demo"
