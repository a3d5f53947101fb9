#!/usr/bin/env bash
# Installs what podnet needs on a bare Debian 12 machine (run as root), then builds.
# Quick when everything is already there: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(iproute2 iptables nftables ipset conntrack nfacct iputils-ping curl dnsutils tcpdump iperf3 procps util-linux
  containernetworking-plugins bird2 podman runc busybox-static python3-minimal gcc libc6-dev
  dnsmasq-base dnsperf chromium etcd-server etcd-client)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  # Packages such as bird2 start their daemon on install; it must never run in the machine's own
  # network namespace (podnet starts BIRD only inside lab nodes). policy-rc.d 101 forbids it.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$guard" ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install tsc -p tsconfig.json
# The web view's page is bundled here with everything it imports, so it works offline (dist/ui).
mkdir -p dist/ui
npx --no-install esbuild web/main.tsx --bundle --format=iife --target=es2020 --jsx=automatic --jsx-import-source=preact \
  --minify --outfile=dist/ui/app.js --log-level=warning
cp web/index.html web/app.css dist/ui/
# podnet-cni runs from one bundled file: a runtime starts it for every call (see bin/podnet-cni).
npx --no-install esbuild dist/src/cni/entry.js --bundle --platform=node --format=cjs --target=node20 \
  --external:fs-ext --outfile=dist/podnet-cni.cjs --log-level=warning
# The executable runtimes start per call is a small native shim that hands the call to the node's
# podnet-cni agent, or execs Node on the bundle above when no agent runs (bin/podnet-cni links here).
cc -O2 -Wall -Wextra -Werror -DPODNET_BUNDLE="\"$PWD/dist/podnet-cni.cjs\"" -o dist/podnet-cni.tmp src/cni/shim/podnet-cni.c
mv -f dist/podnet-cni.tmp dist/podnet-cni
