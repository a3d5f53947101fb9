#!/usr/bin/env bash
# The whole suite: setup, lint, unit tests and end-to-end tests on the real kernel (in namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent lint
node dist/test/run.js "$@"
