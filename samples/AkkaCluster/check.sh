#!/usr/bin/env bash
# Runs the sample as its README does and checks what it prints: packs Coord.Client and Coord.Akka with a unique
# version into a temp folder, builds the sample against those packages, starts `coord serve` on a free port and two
# nodes, waits until they form one cluster and one runs the singleton, kills that node with kill -9 and waits until
# the other runs the singleton. Exit 0 when all of that happened, 1 otherwise (with the logs). About a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAILED: $1"
  for log in "$work"/*.log; do echo "--- $log"; tail -n 30 "$log"; done
  exit 1
}
# wait_for FILE PATTERN SECONDS: until a line of FILE matches (the nodes print one line per event).
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "no '$2' in $1 after $3 s"
    sleep 0.2
  done
}

version="0.1.0-check.$(date +%s)"
dotnet pack Coord.Client -c Release -o "$work/packages" -p:Version="$version" -nologo -v q >/dev/null
dotnet pack Coord.Akka -c Release -o "$work/packages" -p:Version="$version" -nologo -v q >/dev/null
dotnet build samples/AkkaCluster -c Release -nologo -v q -p:CoordAkkaVersion="$version" -o "$work/sample" \
  --packages "$work/nuget" --source "$work/packages" $(dotnet nuget list source --format short | awk '/^E /{printf "--source %s ", $2}') >/dev/null
dotnet build Coord.Host -c Release -nologo -v q -o "$work/coord" >/dev/null

dotnet "$work/coord/coord.dll" serve --client-port 0 --data-dir "$work/data" > "$work/server.log" 2>&1 &
pids+=($!)
wait_for "$work/server.log" "serving clients on" 20
server=$(grep -o 'serving clients on [0-9.:]*' "$work/server.log" | awk '{print $4}')

dotnet "$work/sample/AkkaCluster.dll" "$server" > "$work/node1.log" 2>&1 &
pids+=($!); node1=$!
dotnet "$work/sample/AkkaCluster.dll" "$server" > "$work/node2.log" 2>&1 &
pids+=($!); node2=$!
wait_for "$work/node1.log" "is up" 60
wait_for "$work/node2.log" "is up" 60
deadline=$((SECONDS + 30))
until [ "$(grep -c '^member up' "$work/node1.log")" -ge 2 ]; do
  [ $SECONDS -lt $deadline ] || fail "node1 did not see both members up"
  sleep 0.2
done
deadline=$((SECONDS + 30))
until grep -q "singleton started" "$work/node1.log" "$work/node2.log"; do
  [ $SECONDS -lt $deadline ] || fail "no node started the singleton"
  sleep 0.2
done
if grep -q "singleton started" "$work/node1.log"; then holder=$node1 other=node2; else holder=$node2 other=node1; fi
echo "one cluster of two; the singleton runs on the node with pid $holder; kill -9"
kill -9 "$holder"
wait_for "$work/$other.log" "singleton started" 60
echo "OK: the singleton moved to $other after the kill (its lease freed when the killed node's session expired)"
