#!/usr/bin/env bash
# Runs afl-fuzz on one coord-fuzz target for a while (README.md: "Run afl-fuzz").
#   specs/Coord.Fuzz/fuzz.sh frame|frame-core|peer [SECONDS]      default 900 s; findings in $FUZZ_WORK/findings-TARGET
# Needs afl++ (apt-get install afl++) and the sharpfuzz tool (dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0).
set -euo pipefail
target=${1:?usage: fuzz.sh frame|frame-core|peer [SECONDS]}
seconds=${2:-900}
case "$target" in frame|frame-core|peer) ;; *) echo "usage: fuzz.sh frame|frame-core|peer [SECONDS]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
work=${FUZZ_WORK:-/tmp/coord-fuzz}
bin=$work/bin
sharpfuzz=$(command -v sharpfuzz || echo "$HOME/.dotnet/tools/sharpfuzz")

# A fresh publish each time: sharpfuzz rewrites the assemblies in place and refuses to instrument one twice.
rm -rf "$bin"
dotnet publish "$here/Coord.Fuzz.csproj" -c Release -o "$bin" --nologo -v q
# Only the decoders are instrumented, so afl's coverage map is spent on them: the wire records and jute reader,
# the peer codecs and the txn codec, the client connection's decoder and four-letter-word check; prep and the tree for frame-core.
"$sharpfuzz" "$bin/Coord.Protocol.dll"
"$sharpfuzz" "$bin/Coord.Actors.dll" Coord.Actors.Ensemble Coord.Actors.Txns Coord.Actors.Prep Coord.Actors.Tree
"$sharpfuzz" "$bin/coord.dll" Coord.Host.Connections.RequestDecoder Coord.Host.Admin.FourLetterWords

# The target is `dotnet coord-fuzz.dll`, which afl cannot see instrumented; SharpFuzz's fork server starts slowly.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_FORKSRV_INIT_TMOUT=60000 AFL_NO_UI=${AFL_NO_UI:-1}
out=$work/findings-$target
input=$here/corpus/${target%-core}      # frame-core runs on the frame corpus
# Resume where an earlier run stopped (afl-fuzz -i -), else start from the committed corpus.
if [ -d "$out/default/queue" ]; then input=-; fi
# The dictionary holds the tokens afl cannot guess from coverage alone: opcodes, manifests, txn types, special lengths.
afl-fuzz -i "$input" -o "$out" -x "$here/dict/${target%-core}.dict" -t 5000 -m none -V "$seconds" -- dotnet "$bin/coord-fuzz.dll" "$target"
grep -E "execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|run_time" "$out/default/fuzzer_stats" || true
