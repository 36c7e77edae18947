#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a fixed time each.
#
#   scripts/run-fuzz.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR is a build configured with -DLGW_FUZZ=ON (see fuzz/CMakeLists.txt); the targets are
# BUILD_DIR/fuzz/<name>. Each target runs on BUILD_DIR/corpus-<name>, seeded from
# fuzz/corpus/<name> (the repository corpus is never written to; inputs found earlier are kept),
# with fuzz/<name>.dict when present and the inputs in fuzz/regressions/<name>/ replayed first.
# Crash, timeout and OOM inputs land in BUILD_DIR/artifacts-<name>/. Prints the executions each
# target reached; exits non-zero if any target failed. LGW_FUZZ_ARGS adds libFuzzer flags (e.g.
# "-rss_limit_mb=4096" for runs of more than about 15 minutes per target: RSS creeps up with the
# allocation stacks ASan records, even with the shorter stacks set below).
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "$1" && pwd)" || exit 2
seconds="$2"
shift 2

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in "$repo"/fuzz/*_fuzz.cpp; do
    name="$(basename "$src" .cpp)"
    targets+=("$name")
  done
fi

# Shorter allocation stacks and a smaller quarantine roughly halve the memory a long run needs.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:malloc_context_size=10:quarantine_size_mb=64}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=()
summary=()
for name in "${targets[@]}"; do
  bin="$build/fuzz/$name"
  if [ ! -x "$bin" ]; then
    echo "run-fuzz: $bin not found; build it with: cmake --build $build --target lgw_fuzzers" >&2
    failed+=("$name")
    summary+=("$(printf '%-22s  %s' "$name" "MISSING")")
    continue
  fi

  corpus="$build/corpus-$name"
  artifacts="$build/artifacts-$name"
  log="$build/fuzz-$name.log"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$repo/fuzz/corpus/$name" ]; then cp -a "$repo/fuzz/corpus/$name/." "$corpus/"; fi

  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  if [ -f "$repo/fuzz/$name.dict" ]; then args+=(-dict="$repo/fuzz/$name.dict"); fi
  # shellcheck disable=SC2206  # word splitting is intended: several flags in one variable
  if [ -n "${LGW_FUZZ_ARGS:-}" ]; then args+=(${LGW_FUZZ_ARGS}); fi
  dirs=("$corpus")
  if [ -d "$repo/fuzz/regressions/$name" ] &&
     [ -n "$(ls -A "$repo/fuzz/regressions/$name" 2>/dev/null)" ]; then
    dirs+=("$repo/fuzz/regressions/$name")  # read only: new inputs go to the first directory
  fi

  echo "run-fuzz: $name for ${seconds}s"
  "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
  rc=$?

  execs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
  execs="${execs:-?}"
  if [ $rc -eq 0 ]; then
    summary+=("$(printf '%-22s  %12s execs  ok' "$name" "$execs")")
  else
    failed+=("$name")
    summary+=("$(printf '%-22s  %12s execs  FAILED (exit %d, log %s)' "$name" "$execs" "$rc" "$log")")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|artifact_prefix=|Test unit written)' "$log" |
      head -n 20 | sed "s/^/  /"
  fi
done

echo
echo "run-fuzz: results (${seconds}s per target)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
