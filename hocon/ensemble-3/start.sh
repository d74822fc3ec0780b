#!/usr/bin/env bash
# Starts the three members of hocon/ensemble-3 on this machine (`coord serve --config nodeN.conf`, each in the
# background, data under ./data/nodeN next to this script) and stops them all on Ctrl-C or SIGTERM.
#
#   hocon/ensemble-3/start.sh                 # builds Coord.Host (Release) once, then runs its coord.dll
#   COORD="coord" hocon/ensemble-3/start.sh   # or any command that runs the coord executable
#
# Clients: 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183. Peers: 127.0.0.1:2888..2890 (Akka.Remote).
# Until replication is wired into the server (issue 12), every member refuses to start (exit 2) and says so.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"   # the node files' data-dir ("./data/nodeN") is relative to the working directory

if [[ -z "${COORD:-}" ]]; then
  dotnet build "$repo/Coord.Host" -c Release --nologo -v quiet >/dev/null
  COORD="dotnet $repo/Coord.Host/bin/Release/net10.0/coord.dll"
fi

mkdir -p data
pids=()
stop() {
  trap - INT TERM
  echo "start.sh: stopping members ${pids[*]}" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
  exit 0
}
trap stop INT TERM

for n in 1 2 3; do
  # Each member's output goes to the terminal prefixed with its name, and to data/nodeN.log.
  $COORD serve --config "node$n.conf" > >(sed -u "s/^/[node$n] /" | tee "data/node$n.log") 2>&1 &
  pids+=("$!")
done
echo "start.sh: started members 1 2 3 (pids ${pids[*]}); Ctrl-C stops them" >&2

# Return when every member has ended (exit codes printed); Ctrl-C stops the ones still running.
status=0
for i in 0 1 2; do
  if wait "${pids[$i]}"; then code=0; else code=$?; fi
  echo "start.sh: member $((i + 1)) exited with code $code" >&2
  [[ $code -eq 0 ]] || status=$code
done
exit "$status"
