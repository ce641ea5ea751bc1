#!/usr/bin/env bash
# Runs bench/e2e at several tenant sizes (one instance each) and prints how
# wall time, lower bound, serve CPU and peak RSS grow with the tenant; writes
# the table to bench/e2e-scales.md and a plot to bench/e2e-scales.svg.
#   bench/e2e-scales.sh [BUILD_DIR] [SIZE...]      (default: build 10 50 100 top)
# A SIZE is a number (e2e --scale N) or "top" (e2e --top: 100,000 users,
# 5 subscriptions, 50,000 resources).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
scales=("$@"); [ ${#scales[@]} -gt 0 ] || scales=(10 50 100 top)
cmake --build "$build" --target e2e azure-integration >/dev/null
out=bench/e2e-scales.md svg=bench/e2e-scales.svg
rows=()
for s in "${scales[@]}"; do
  log=$(mktemp /tmp/e2e-scale-$s.XXXXXX)
  if [ "$s" = top ]; then size=(--top); else size=(--scale "$s"); fi
  echo "== e2e ${size[*]} --instances 1 (log $log)" >&2
  "$build/bench/e2e" "${size[@]}" --instances 1 --serve-bin "$build/azure-integration" | tee "$log" >&2
  # e2e: users 2000, ... (59 types, 1180 resources in all), ...
  users=$(sed -n 's/^e2e: users \([0-9]*\),.*/\1/p' "$log")
  res=$(sed -n 's/^e2e: .*types, \([0-9]*\) resources in all.*/\1/p' "$log")
  # run: 35.45 s wall for 1 job(s); lower bound 35.08 s (...); ratio 1.01
  wall=$(sed -n 's/^run: \([0-9.]*\) s wall.*/\1/p' "$log")
  bound=$(sed -n 's/^run: .*lower bound \([0-9.]*\) s.*/\1/p' "$log")
  ratio=$(sed -n 's/^run: .*ratio \([0-9.]*\).*/\1/p' "$log")
  cpu=$(sed -n 's/^serve process: \([0-9.]*\) CPU s.*/\1/p' "$log")
  tokens=$(sed -n 's/^e2e: .* \([0-9]*\)-byte tokens.*/\1/p' "$log")
  rss=$(sed -n 's/^serve process: .*peak RSS \([0-9.]*\) MB.*/\1/p' "$log")
  ents=$(awk '/^[0-9a-f-]+ +succeeded|^[0-9a-f-]+ +partial/ {print $5; exit}' "$log")
  rels=$(awk '/^[0-9a-f-]+ +succeeded|^[0-9a-f-]+ +partial/ {print $6; exit}' "$log")
  checks=$(grep -c -E '^(graph matches the expected counts per type|nothing uploaded twice.*): yes' "$log" || true)
  [ -n "$wall" ] || { echo "e2e at size $s failed (see $log)" >&2; exit 1; }
  rows+=("$s $wall $bound $ratio $cpu $rss ${ents:-0} ${rels:-0} ${users:-0} ${res:-0} $checks")
done
{
  echo "| size | users | resources | entities | relationships | wall s | lower bound s | ratio | serve CPU s | serve peak RSS MB | counts match, nothing twice |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for r in "${rows[@]}"; do
    set -- $r
    echo "| $1 | $9 | ${10} | $7 | $8 | $2 | $3 | $4 | $5 | $6 | $([ "${11}" = 2 ] && echo yes || echo NO) |"
  done
  echo
  echo "Fake Azure AD tokens of ${tokens:-?} bytes (every request carries one);" \
       "$(date -u +%Y-%m-%d)."
} > "$out"
cat "$out"
# SVG: wall time and lower bound (left axis, s), CPU s and RSS MB (right
# panel), against scale.
printf '%s\n' "${rows[@]}" | awk -v svg="$svg" '
{ n++; sc[n]=($7+$8)/1000; w[n]=$2; b[n]=$3; c[n]=$5; m[n]=$6
  if (sc[n]>maxs) maxs=sc[n]; if (mins==0 || sc[n]<mins) mins=sc[n]; if ($2>maxt) maxt=$2; if ($3>maxt) maxt=$3; if ($6>maxm) maxm=$6; if ($5>maxc) maxc=$5 }
function X(v, off) { return off + 40 + (maxs > mins ? log(v / mins) / log(maxs / mins) : 0) * 300 }
function Y(v, mx) { return 260 - v / mx * 220 }
function line(arr, mx, off, color, label, ly,   i, p) {
  p = ""; for (i = 1; i <= n; i++) p = p sprintf("%.1f,%.1f ", X(sc[i], off), Y(arr[i], mx))
  printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", color, p > svg
  for (i = 1; i <= n; i++) printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", X(sc[i], off), Y(arr[i], mx), color > svg
  printf "<text x=\"%d\" y=\"%d\" fill=\"%s\" font-size=\"12\">%s</text>\n", off + 50, ly, color, label > svg
}
END {
  maxt *= 1.1; maxm *= 1.1; maxc *= 1.1; if (maxc > maxm) maxm = maxc
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"300\" font-family=\"sans-serif\">\n" > svg
  printf "<rect width=\"760\" height=\"300\" fill=\"white\"/>\n" > svg
  for (o = 0; o <= 380; o += 380) {
    printf "<line x1=\"%d\" y1=\"260\" x2=\"%d\" y2=\"260\" stroke=\"black\"/>\n", o + 40, o + 350 > svg
    printf "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"260\" stroke=\"black\"/>\n", o + 40, o + 40 > svg
    for (i = 1; i <= n; i++) printf "<text x=\"%.1f\" y=\"278\" font-size=\"11\" text-anchor=\"middle\">%.0f</text>\n", X(sc[i], o), sc[i] > svg
    printf "<text x=\"%d\" y=\"295\" font-size=\"11\">graph objects per job (thousands, log scale)</text>\n", o + 60 > svg
  }
  printf "<text x=\"44\" y=\"36\" font-size=\"11\">seconds (max %.0f)</text>\n", maxt > svg
  printf "<text x=\"424\" y=\"36\" font-size=\"11\">CPU s / RSS MB (max %.0f)</text>\n", maxm > svg
  line(w, maxt, 0, "#c0392b", "job wall time", 56)
  line(b, maxt, 0, "#7f8c8d", "lower bound (Azure rate)", 72)
  line(c, maxm, 380, "#2980b9", "serve CPU seconds", 56)
  line(m, maxm, 380, "#27ae60", "serve peak RSS MB", 72)
  printf "</svg>\n" > svg
}'
echo "wrote $out and $svg" >&2
