#!/bin/sh
# A command hook in plain shell: baselinr runs it once per event with the event JSON on stdin
# and BASELINR_EVENT_TYPE / BASELINR_EVENT_ID in the environment. Configure it with
#
#   hooks:
#     hooks:
#       - type: command
#         command: [./examples/hooks/alert.sh]
#         env: {ALERT_LOG: /var/log/baselinr-alerts.log}
#         event_types: [DataDriftDetected, SchemaChangeDetected, ProfilingFailed]
#
# Exit non-zero to report a failed delivery; baselinr logs and counts it and carries on.
set -eu
log=${ALERT_LOG:-./baselinr-alerts.log}
event=$(cat)
printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${BASELINR_EVENT_TYPE:-event}" "$event" >>"$log"
