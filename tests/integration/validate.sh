#!/bin/bash
# deckctl validate against the real binary: the example manifests are valid,
# broken ones are reported precisely with exit 1, and hostile files get a
# clear error in bounded time and memory.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_capture out rc "$CTL" validate manifests/
check "manifests/ validates (exit $rc): $out" test "$rc" -eq 0
check "web pod reported OK" contains "$out" "OK default/web Burstable"
check "crashloop pod reported OK" contains "$out" "OK default/crashloop BestEffort"

run_capture out rc "$CTL" validate tests/data/pods/invalid
check "invalid dir exits 1 (got $rc)" test "$rc" -eq 1
check "type errors carry field paths" contains "$out" \
        'spec.containers[0].ports[0].containerPort: Invalid value: "80": must be an integer'
check "wrong kind is named" contains "$out" 'kind: Unsupported value: "Deployment"'
check "malformed YAML gets line and column" contains "$out" \
        "bad-input-malformed.yaml: line 9, column 4:"
check "the valid pod in a mixed file is still OK" contains "$out" "OK default/fine-in-list BestEffort"

# A file over the size limit is refused before it is read.
head -c $((5 << 20)) /dev/zero | tr '\0' 'a' > "$tmp/huge.yaml"
run_capture out rc "$CTL" validate "$tmp/huge.yaml"
check "huge file exits 1" test "$rc" -eq 1
check "huge file error names the file and limit" contains "$out" "$tmp/huge.yaml: file is 5242880 bytes, larger than the limit of 4194304 bytes"

# Random binary garbage: an error, never a crash (exit 1, not a signal).
head -c 65536 /dev/urandom > "$tmp/garbage.yaml"
run_capture out rc "$CTL" validate "$tmp/garbage.yaml"
check "garbage exits 1 (got $rc): $out" test "$rc" -eq 1
check "garbage error names the file" contains "$out" "$tmp/garbage.yaml:"

# Many documents, deep nesting and wide lists stay within the bounds.
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
open(d + "/many.yaml", "w").write("---\nkind: Pod\n" * 1500)
open(d + "/wide.yaml", "w").write("a: [" + ",".join(["1"] * 300000) + "]\n")
PY
run_capture out rc "$CTL" validate "$tmp/many.yaml"
check "too many documents refused: $out" contains "$out" "more than 1000 documents"
run_capture out rc "$CTL" validate "$tmp/wide.yaml"
check "too many values refused: $out" contains "$out" "more than 200000 values"

run_capture out rc "$CTL" validate /nonexistent/pods.yaml
check "missing file exits 1" test "$rc" -eq 1
check "missing file error" contains "$out" "/nonexistent/pods.yaml: No such file or directory"

run_capture out rc "$CTL" validate
check "no arguments is a usage error (exit 2)" test "$rc" -eq 2
run_capture out rc "$CTL" frobnicate
check "unknown command exits 2" test "$rc" -eq 2
check "unknown command is named" contains "$out" 'unknown command "frobnicate"'

finish
