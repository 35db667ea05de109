#!/usr/bin/env bash
# Soak test: runs each lab (xor, mnist, gallery, forest, attention) in a real window on a virtual X display
# (Xvfb), one after another, for MINUTES minutes each (default 30), sampling the process's
# resident memory (VmRSS) and thread count from /proc/PID/status once a minute. Prints a
# table per lab and a summary line; exits non-zero when a lab dies early or when its RSS at
# the end exceeds its RSS at minute 2 (after warm-up) by more than SOAK_MARGIN_MB.
#
#   scripts/soak.sh [MINUTES]
#
# Environment:
#   NETVIZ_BIN       the binary (default target/release/netviz, built if missing)
#   NETVIZ_DATA_DIR  the MNIST folder for the mnist lab (default /work/shared/data/mnist when
#                    it exists, else the program's own default)
#   SOAK_MARGIN_MB   allowed RSS growth from minute 2 to the end, in MB (default 64: a leak
#                    of about 2 MB a minute over a 30-minute run)
#   SOAK_INTERVAL    seconds between samples (default 60; lower only to try the script out)
#   SOAK_LABS        labs to run (default "xor mnist gallery forest attention")
#   SOAK_TIMELINE_MB each lab's timeline budget (--timeline-mb, default 16): the timeline
#                    keeps snapshots up to its budget by design, so the budget is kept well
#                    inside the margin and any growth beyond it is a leak
#
# Needs Xvfb (xvfb, xauth) and a Vulkan driver (mesa-vulkan-drivers: lavapipe without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-30}"
interval="${SOAK_INTERVAL:-60}"
margin_mb="${SOAK_MARGIN_MB:-64}"
labs="${SOAK_LABS:-xor mnist gallery forest attention}"
timeline_mb="${SOAK_TIMELINE_MB:-16}"
bin="${NETVIZ_BIN:-target/release/netviz}"
data_dir="${NETVIZ_DATA_DIR:-}"
if [ -z "$data_dir" ] && [ -d /work/shared/data/mnist ]; then
    data_dir=/work/shared/data/mnist
fi

if ! [[ "$minutes" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [MINUTES]  (a positive whole number, got '$minutes')" >&2
    exit 2
fi
if ! command -v Xvfb >/dev/null 2>&1; then
    echo "soak: Xvfb is missing (apt-get install xvfb xauth)" >&2
    exit 2
fi
if [ ! -x "$bin" ]; then
    cargo build --release --bin netviz
fi
bin="$(realpath "$bin")"

work="$(mktemp -d /tmp/netviz-soak.XXXXXX)"
export NETVIZ_CONFIG_DIR="$work/config"
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    export XDG_RUNTIME_DIR="$work/xdg"
    mkdir -p "$XDG_RUNTIME_DIR"
    chmod 700 "$XDG_RUNTIME_DIR"
fi
unset WAYLAND_DISPLAY

xvfb_pid=""
app_pid=""
cleanup() {
    if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; fi
    if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Xvfb picks a free display number itself and writes it once it accepts connections;
# -noreset keeps it from resetting (and refusing clients) whenever its last client leaves.
Xvfb -displayfd 9 -screen 0 1600x1200x24 -nolisten tcp -noreset 9>"$work/display" 2>/dev/null &
xvfb_pid=$!
for _ in $(seq 100); do
    [ -s "$work/display" ] && break
    sleep 0.1
done
if [ ! -s "$work/display" ]; then
    echo "soak: Xvfb did not start" >&2
    exit 2
fi
export DISPLAY=":$(tr -d '[:space:]' <"$work/display")"

# The MNIST lab would stop training when early stopping fires; a copy of the default config
# with an unreachable patience keeps it training for the whole soak.
sed -e 's/"patience": *[0-9]*/"patience": 100000000/' assets/configs/default_cnn.json \
    >"$work/soak_cnn.json"

# Prints "RSS_KB THREADS" of process $1, or nothing once it is gone.
sample() {
    awk '/^VmRSS:/ {rss = $2} /^Threads:/ {thr = $2} END {if (rss != "") print rss, thr}' \
        "/proc/$1/status" 2>/dev/null || true
}

mb() { awk -v kb="$1" 'BEGIN {printf "%.1f", kb / 1024}'; }

status=0
summary=()
for lab in $labs; do
    case "$lab" in
        xor) args=(xor --epochs 100000000) ;;
        mnist)
            args=(mnist --config "$work/soak_cnn.json" --epochs 100000000)
            if [ -n "$data_dir" ]; then args+=(--data-dir "$data_dir"); fi
            ;;
        gallery) args=(gallery) ;;
        # Grows its 40 trees and trains the comparison network in the first seconds, then
        # the window keeps drawing every view of the finished forest.
        forest) args=(forest --dataset moons) ;;
        # Trains the transformer on sort for the whole soak (the filmstrip and curves thin
        # themselves to stay bounded).
        attention) args=(attention) ;;
        *)
            echo "soak: unknown lab '$lab' (xor, mnist, gallery, forest, attention)" >&2
            exit 2
            ;;
    esac
    mkdir -p "$work/$lab"
    if [ "$lab" != gallery ]; then args+=(--timeline-mb "$timeline_mb"); fi
    (cd "$work/$lab" && exec "$bin" "${args[@]}") >"$work/$lab.log" 2>&1 &
    app_pid=$!
    echo
    echo "== $lab: netviz ${args[*]} (pid $app_pid, DISPLAY=$DISPLAY, $minutes min, sample every ${interval}s)"
    printf '%6s %10s %8s\n' minute rss_mb threads
    base_kb=""
    first_kb=""
    last_kb=""
    max_kb=0
    died=""
    for minute in $(seq "$minutes"); do
        sleep "$interval"
        read -r rss_kb threads <<<"$(sample "$app_pid")" || true
        if [ -z "${rss_kb:-}" ]; then
            died="after minute $((minute - 1))"
            break
        fi
        printf '%6d %10s %8s\n' "$minute" "$(mb "$rss_kb")" "$threads"
        if [ "$minute" -eq 1 ] && command -v xdotool >/dev/null 2>&1; then
            if [ -z "$(xdotool search --pid "$app_pid" 2>/dev/null | head -n 1)" ]; then
                echo "$lab: no window of pid $app_pid on $DISPLAY after a minute" >&2
                status=1
            fi
        fi
        [ -z "$first_kb" ] && first_kb="$rss_kb"
        # Minute 2 is the baseline (minute 1 in a one-minute run): start-up is over by then.
        if [ "$minute" -eq 2 ] || { [ "$minutes" -eq 1 ] && [ "$minute" -eq 1 ]; }; then
            base_kb="$rss_kb"
        fi
        last_kb="$rss_kb"
        [ "$rss_kb" -gt "$max_kb" ] && max_kb="$rss_kb"
    done
    if [ -n "$died" ]; then
        wait "$app_pid" && code=0 || code=$?
        app_pid=""
        echo "$lab: the process exited (code $code) $died; its last output:"
        tail -n 20 "$work/$lab.log"
        summary+=("$lab: FAIL, exited (code $code) $died")
        status=1
        continue
    fi
    kill -TERM "$app_pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$app_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
    growth_kb=$((last_kb - base_kb))
    verdict=OK
    if [ "$growth_kb" -gt $((margin_mb * 1024)) ]; then
        verdict="FAIL (more than ${margin_mb} MB)"
        status=1
    fi
    line="$lab: rss minute 1 $(mb "$first_kb") MB, after warm-up (minute 2) $(mb "$base_kb") MB, last $(mb "$last_kb") MB, max $(mb "$max_kb") MB, growth $(mb "$growth_kb") MB: $verdict"
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary (allowed growth after warm-up: ${margin_mb} MB)"
printf '%s\n' "${summary[@]}"
exit "$status"
