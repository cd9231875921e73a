# Sourced by scripts that need the test servers: start_test_services PREFIX starts PostgreSQL and
# MariaDB with test-services.sh under a new temporary directory /tmp/PREFIX.XXXXXX, stops them
# when the calling script exits (whatever happens), and exports their BASELINR_TEST_* variables.
# shellcheck shell=bash
start_test_services() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  BASELINR_SERVICES_DIR=$(mktemp -d "/tmp/$1.XXXXXX")
  BASELINR_SERVICES_SCRIPT="$here/test-services.sh"
  trap '"$BASELINR_SERVICES_SCRIPT" stop "$BASELINR_SERVICES_DIR" || true' EXIT INT TERM
  "$BASELINR_SERVICES_SCRIPT" start "$BASELINR_SERVICES_DIR"
  set -a
  # shellcheck disable=SC1091
  source "$BASELINR_SERVICES_DIR/services.env"
  set +a
}
