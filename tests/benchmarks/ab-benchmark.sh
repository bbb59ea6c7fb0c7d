#!/usr/bin/env bash
# Compares MiAudit builds head to head on this machine: each tree's miaudit in turn (never two at once, so they do not
# share the 2 cores), with detection and --store all, against one local nginx TLS origin; keep-alive small GETs and
# Sensors-style telemetry POSTs (every one flagged), 15 s warm-up and 10 s measured per load. Run the trees twice,
# interleaved, to see the noise:
#
#   git worktree add /tmp/before <commit> && dotnet build -c Release /tmp/before/src/MiAudit.Cli
#   bash tests/benchmarks/ab-benchmark.sh /tmp/before . /tmp/before .
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 TREE [TREE...]   (each a MiAudit checkout with a Release build)" >&2; exit 2; }
for tool in nginx hey openssl python3; do command -v $tool >/dev/null || { echo "needs $tool (bash tests/benchmarks/proxy-benchmark.sh installs it)" >&2; exit 1; }; done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work=$(mktemp -d /tmp/miaudit-ab.XXXXXX); chmod 755 "$work"
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
origin=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
mkdir -p "$work/www" "$work/tmp"; echo 'hello from the origin' > "$work/www/small.txt"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1; pid $work/nginx.pid; error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp; uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:$origin ssl http2; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; root $work/www;
    location = /sa { return 200 '{"code":0}'; } }
}
NGINX
nginx -c "$work/nginx.conf"
python3 - "$work/telemetry.txt" <<'PY'
import base64, gzip, json, sys, urllib.parse
events = [{"event": "page_load_event_finish", "properties": {"url": base64.b64encode(b"https://news.example.com/a?ref=home").decode(), "$device_id": "3f8a6b2c1d4e5f60"}}] * 3
data = base64.b64encode(gzip.compress(json.dumps(events).encode())).decode()
open(sys.argv[1], "w").write(f"crc={len(data)}&gzip=1&data_list={urllib.parse.quote(data, safe='')}")
PY
printf 'identifiers:\n  android_id: 3f8a6b2c1d4e5f60\n' > "$work/phone.yaml"
post=(-m POST -T application/x-www-form-urlencoded -D "$work/telemetry.txt")
echo "| tree | keep-alive req/s | telemetry req/s |"
echo "|---|---:|---:|"
run=0
for tree in "$@"; do
  run=$((run + 1)); dir="$work/run-$run"; mkdir -p "$dir"; proxy=$(free_port); dll="$(cd "$tree" && pwd)/src/MiAudit.Cli/bin/Release/net10.0/miaudit.dll"
  (cd "$dir" && exec dotnet "$dll" run --listen "127.0.0.1:$proxy" \
    --allow-loopback-upstream --upstream-ca "$work/cert.pem" -q --store all --device-profile "$work/phone.yaml" > log 2>&1) &
  pid=$!
  for _ in $(seq 1 100); do grep -q "Listening on" "$dir/log" 2>/dev/null && break; sleep 0.1; done
  grep -q "Listening on" "$dir/log" || { echo "miaudit from $tree did not start:" >&2; cat "$dir/log" >&2; exit 1; }
  rates=()
  for load in keepalive telemetry; do
    opts=(); url="https://127.0.0.1:$origin/small.txt"
    [ "$load" = telemetry ] && { opts=("${post[@]}"); url="https://127.0.0.1:$origin/sa"; }
    hey -z 15s -c 20 "${opts[@]}" -x "http://127.0.0.1:$proxy" "$url" >/dev/null 2>&1 || true
    rates+=("$(hey -z 10s -c 20 "${opts[@]}" -x "http://127.0.0.1:$proxy" "$url" | awk '/Requests\/sec/ {printf "%.0f", $2}')")
  done
  echo "| $tree | ${rates[0]} | ${rates[1]} |"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
done
