#!/usr/bin/env bash
# Streaming filter benchmarks, Warden against httputil.ReverseProxy in the
# same run, on the real components (ONNX Runtime, models, default policy,
# classifiers/detect):
#
#   FilterChunk    filter cost per 4-byte chunk (p50/p99/p99.9) and bytes
#                  held after each chunk (p50/max); shipped models, with the
#                  name tagger (ner), with a response-stage classifier
#   FilterMemory   heap of one open filter, 1.5 KB into an answer
#   TTFT           time to first token, added by Warden (p50/p99), the
#                  first 1.2 KB of text arriving at once
#   TTFTPaced      the same with text arriving as a model sends it (4 bytes
#                  every 10 ms), rules only and with the name tagger; also
#                  the bytes the filter had when it first released text
#   Throughput     delivered bytes/s: unpaced (CPU-bound) and paced streams
#   OpenStreams    heap and goroutines per open proxied stream
#
#   bench/streams/run.sh                 # all
#   bench/streams/run.sh 'TTFT|FilterChunk'
#
# WARDEN_TEST_MODELS picks the models directory (default: the repo's).
# Figures depend on machine load: note `uptime` with them.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WARDEN_ONNXRUNTIME_LIB=${WARDEN_ONNXRUNTIME_LIB:-$(scripts/fetch-onnxruntime.sh)}
pat=${1:-.}
uptime
run() { go test ./streams -run '^$' -count=1 -timeout 30m -bench "$1" -benchtime "$2" 2>&1 | grep -Ev '^[0-9]{4}/[0-9]{2}/[0-9]{2} .* (INFO|WARN) '; }
[[ 'FilterChunk' =~ $pat ]] && run 'FilterChunk' 20000x
[[ 'TTFT' =~ $pat ]] && run 'TTFT$' 300x
[[ 'TTFTPaced' =~ $pat ]] && run 'TTFTPaced' 10x
[[ 'Throughput' =~ $pat ]] && run 'Throughput' 3x
[[ 'FilterMemory' =~ $pat ]] && run 'FilterMemory' 1x
[[ 'OpenStreams' =~ $pat ]] && run 'OpenStreams' 1x
exit 0
