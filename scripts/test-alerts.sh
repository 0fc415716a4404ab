#!/usr/bin/env bash
# Checks the Prometheus configuration and alerting rules in ops/prometheus and runs the rules'
# unit tests (alerts.test.yml). `npm run test:alerts`, part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# A missing promtool fails the run: skipping would let broken rules pass CI unnoticed.
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: install Debian's prometheus package (apt-get install prometheus) or run .ci/run, which installs it" >&2
  exit 1
fi

promtool check rules ops/prometheus/alerts.yml
promtool check config ops/prometheus/prometheus.yml
promtool test rules ops/prometheus/alerts.test.yml
