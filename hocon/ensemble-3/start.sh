#!/usr/bin/env bash
# Starts the three members of hocon/ensemble-3 on this machine (`coord serve --config nodeN.conf`, each in the
# background, data under ./data/nodeN) and stops them all on Ctrl-C or SIGTERM.
#
#   hocon/ensemble-3/start.sh                 # builds Coord.Host (Release) once, then runs its coord.dll
#   COORD="coord" hocon/ensemble-3/start.sh   # or any command that runs the coord executable
#   ENSEMBLE_DIR=/srv/coord hocon/ensemble-3/start.sh   # ./data is under ENSEMBLE_DIR (default: next to this script)
#
# Clients: 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183. Peers: 127.0.0.1:2888..2890 (Akka.Remote).
# Each member prints a line on every role change (coord: member N is leading|following|looking ...).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${ENSEMBLE_DIR:-$here}"
mkdir -p "$work"
cd "$work"   # the node files' data-dir ("./data/nodeN") is relative to the working directory

if [[ -z "${COORD:-}" ]]; then
  dotnet build "$repo/Coord.Host" -c Release --nologo -v quiet >/dev/null
  COORD="dotnet $repo/Coord.Host/bin/Release/net10.0/coord.dll"
fi

mkdir -p data
pids=()
tailer=""
stop() {
  trap - INT TERM
  echo "start.sh: stopping members ${pids[*]}" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  [[ -z "$tailer" ]] || kill "$tailer" 2>/dev/null || true
  exit 0
}
trap stop INT TERM

# Each member writes to data/nodeN.log (appended across runs); tail echoes the new lines to the terminal.
for n in 1 2 3; do echo "start.sh: $(date -u +%FT%TZ) starting member $n" >> "data/node$n.log"; done
tail -n 0 -F data/node1.log data/node2.log data/node3.log &
tailer=$!
for n in 1 2 3; do
  $COORD serve --config "$here/node$n.conf" >> "data/node$n.log" 2>&1 &
  pids+=("$!")
done
echo "start.sh: started members 1 2 3 (pids ${pids[*]}, logs in $work/data/nodeN.log); Ctrl-C stops them" >&2

# Return when every member has ended (exit codes printed); Ctrl-C stops the ones still running.
status=0
for i in 0 1 2; do
  if wait "${pids[$i]}"; then code=0; else code=$?; fi
  echo "start.sh: member $((i + 1)) exited with code $code" >&2
  [[ $code -eq 0 ]] || status=$code
done
kill "$tailer" 2>/dev/null || true
exit "$status"
