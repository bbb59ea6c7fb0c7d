#!/usr/bin/env bash
# Measures, in one run on this machine: a local TLS origin (nginx) directly, through MiAudit with detection and storage
# on (--store all), through MiAudit with --no-detect, and through Debian's mitmproxy (mitmdump). Loads (Debian's hey):
# keep-alive small GETs, a new TLS connection per request, Sensors-style telemetry POSTs, and 1 MiB downloads.
# Prints requests/s, p50/p99 latency, peak RSS and the ratios. Exits non-zero only when setup fails, never on a number.
#
#   bash tests/benchmarks/proxy-benchmark.sh                # about 3 minutes
#   DURATION=20s bash tests/benchmarks/proxy-benchmark.sh   # longer runs per load
#   SOAK=1000000 bash tests/benchmarks/proxy-benchmark.sh   # plus a soak of N requests through MiAudit (RSS sampled)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
duration=${DURATION:-10s}
concurrency=${CONCURRENCY:-20}

need=()
command -v nginx >/dev/null || need+=(nginx)
command -v hey >/dev/null || need+=(hey)
command -v mitmdump >/dev/null || need+=(mitmproxy)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

dotnet build -c Release src/MiAudit.Cli -v quiet -nologo >/dev/null
miaudit="$root/src/MiAudit.Cli/bin/Release/net10.0/miaudit.dll"

work=$(mktemp -d /tmp/miaudit-bench.XXXXXX)
chmod 755 "$work" # nginx workers run as another user and must read the files
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# --- the origin: nginx with TLS (HTTP/1.1 and h2), a small file, 1 MiB, and a collector endpoint --------------------
origin_port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/origin-key.pem" -out "$work/origin.pem" \
  -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:origin.test" 2>/dev/null
mkdir -p "$work/www" "$work/tmp"
printf 'hello from the origin\n' > "$work/www/small.txt"
head -c 1048576 /dev/urandom > "$work/www/1mib.bin"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp; uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$origin_port ssl;
    http2 on;
    ssl_certificate $work/origin.pem; ssl_certificate_key $work/origin-key.pem;
    root $work/www;
    location = /sa { client_body_buffer_size 64k; return 200 '{"code":0}'; }
  }
}
NGINX
nginx -c "$work/nginx.conf" 2>/dev/null || { sed -i 's/    http2 on;//; s/ssl;/ssl http2;/' "$work/nginx.conf"; nginx -c "$work/nginx.conf"; }

# A Sensors Analytics Android-style upload (crc, gzip=1, data_list=base64(gzip(JSON))) with a URL and a device id.
python3 - "$work/telemetry.txt" <<'PY'
import base64, gzip, json, sys, urllib.parse
events = [{"event": "page_load_event_finish", "time": 1764064800123,
           "properties": {"url": base64.b64encode(b"https://news.example.com/politics/article-42?ref=home").decode(),
                          "$device_id": "3f8a6b2c1d4e5f60", "$model": "Redmi Note 8 Pro", "$os_version": "10"}}] * 3
data = base64.b64encode(gzip.compress(json.dumps(events).encode())).decode()
open(sys.argv[1], "w").write(f"crc={len(data)}&gzip=1&data_list={urllib.parse.quote(data, safe='')}")
PY
printf 'identifiers:\n  android_id: 3f8a6b2c1d4e5f60\nattributes:\n  model: Redmi Note 8 Pro\n' > "$work/phone.yaml"

# --- the proxies ------------------------------------------------------------------------------------------------------
start_miaudit() { # name, port, extra args...
  local name=$1 port=$2; shift 2
  mkdir -p "$work/$name"
  (cd "$work/$name" && exec dotnet "$miaudit" run --listen "127.0.0.1:$port" --allow-loopback-upstream --upstream-ca "$work/origin.pem" -q "$@" >"$work/$name.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q "Listening on" "$work/$name.log" 2>/dev/null && return; sleep 0.1; done
  echo "MiAudit ($name) did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}
miaudit_port=$(free_port); start_miaudit detect "$miaudit_port" --store all --device-profile "$work/phone.yaml"
nodetect_port=$(free_port); start_miaudit nodetect "$nodetect_port" --no-detect
mitm_port=$(free_port)
mitmdump --listen-host 127.0.0.1 --listen-port "$mitm_port" --ssl-insecure -q --set confdir="$work/mitm" >"$work/mitm.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null -x "http://127.0.0.1:$mitm_port" -k "https://127.0.0.1:$origin_port/small.txt" && break; sleep 0.2; done

pid_of() { # the process listening on a port
  ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1
}
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# --- measurements -----------------------------------------------------------------------------------------------------
origin="https://127.0.0.1:$origin_port"
declare -A result
run_load() { # target, load -> "rps p50ms p99ms non200"
  local target=$1 load=$2 proxy=()
  case $target in
    miaudit) proxy=(-x "http://127.0.0.1:$miaudit_port") ;;
    nodetect) proxy=(-x "http://127.0.0.1:$nodetect_port") ;;
    mitmproxy) proxy=(-x "http://127.0.0.1:$mitm_port") ;;
  esac
  local opts=(-c "$concurrency") url="$origin/small.txt"
  case $load in
    newconn) opts+=(-disable-keepalive) ;;
    telemetry) opts+=(-m POST -T application/x-www-form-urlencoded -D "$work/telemetry.txt"); url="$origin/sa?project=p" ;;
    download) opts=(-c 4); url="$origin/1mib.bin" ;;
  esac
  # a short warm-up (JIT, connection pools, certificate cache), then the measured run
  hey -z 2s "${opts[@]}" ${proxy[@]+"${proxy[@]}"} "$url" >/dev/null 2>&1 || true
  local out rps p50 p99 errors
  out=$(hey -z "$duration" "${opts[@]}" ${proxy[@]+"${proxy[@]}"} "$url" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '/ 50%/ {printf "%.1f", $3*1000}')
  p99=$(echo "$out" | awk '/ 99%/ {printf "%.1f", $3*1000}')
  errors=$(echo "$out" | awk '/^Status code distribution/ {s = 1; next} /^Error distribution/ {s = 0; e = 1; next}
                              s && /\[[0-9]+\]/ && $1 != "[200]" {n += $2} e && /\[[0-9]+\]/ {n += $1} END {print n+0}')
  result["$target/$load"]="${rps:-0} ${p50:-?} ${p99:-?} $errors"
}

# .NET compiles hot code in tiers (with profile-guided optimisation) during the first ~20 s of load; a researcher's
# proxy runs for hours, so MiAudit is measured warm: 30 s of mixed load first, per instance.
for port in "$miaudit_port" "$nodetect_port"; do
  echo "warming up MiAudit on port $port" >&2
  hey -z 10s -c "$concurrency" -m POST -T application/x-www-form-urlencoded -D "$work/telemetry.txt" -x "http://127.0.0.1:$port" "$origin/sa?project=p" >/dev/null 2>&1 || true
  hey -z 4s -c 4 -x "http://127.0.0.1:$port" "$origin/1mib.bin" >/dev/null 2>&1 || true
  hey -z 4s -c "$concurrency" -disable-keepalive -x "http://127.0.0.1:$port" "$origin/small.txt" >/dev/null 2>&1 || true
  hey -z 12s -c "$concurrency" -x "http://127.0.0.1:$port" "$origin/small.txt" >/dev/null 2>&1 || true
done

loads=(keepalive newconn telemetry download)
targets=(direct miaudit nodetect mitmproxy)
for load in "${loads[@]}"; do
  for target in "${targets[@]}"; do
    echo "measuring $target / $load" >&2
    run_load "$target" "$load"
  done
done

declare -A rss
rss[miaudit]=$(peak_rss_mib "$(pid_of "$miaudit_port")")
rss[nodetect]=$(peak_rss_mib "$(pid_of "$nodetect_port")")
rss[mitmproxy]=$(peak_rss_mib "$(pid_of "$mitm_port")")
stored=$(cd "$work/detect" && sqlite3 miaudit.db "select count(*) from flows; select count(*) from findings;" 2>/dev/null | paste -sd/ || echo "?")

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version | sed 's/^/.NET SDK /'); nginx $(nginx -v 2>&1 | sed 's/.*\///'); mitmproxy $(mitmdump --version 2>/dev/null | awk '/Mitmproxy/ {print $2}'); hey -c $concurrency, $duration per load"
printf '\n| load | target | req/s | p50 ms | p99 ms | non-200 | peak RSS MiB |\n|---|---|---:|---:|---:|---:|---:|\n'
for load in "${loads[@]}"; do
  for target in "${targets[@]}"; do
    read -r rps p50 p99 errors <<<"${result[$target/$load]}"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$load" "$target" "$rps" "$p50" "$p99" "$errors" "${rss[$target]:--}"
  done
done
printf '\n| load | MiAudit / mitmproxy | MiAudit / direct | MiAudit --no-detect / direct |\n|---|---:|---:|---:|\n'
for load in "${loads[@]}"; do
  read -r d _ <<<"${result[direct/$load]}"; read -r m _ <<<"${result[miaudit/$load]}"
  read -r n _ <<<"${result[nodetect/$load]}"; read -r x _ <<<"${result[mitmproxy/$load]}"
  awk -v l="$load" -v d="$d" -v m="$m" -v n="$n" -v x="$x" 'BEGIN {printf "| %s | %.1f× | %.0f%% | %.0f%% |\n", l, (x>0?m/x:0), (d>0?100*m/d:0), (d>0?100*n/d:0)}'
done
echo
echo "Peak RSS: MiAudit ${rss[miaudit]} MiB (detection + storage), ${rss[nodetect]} MiB (--no-detect), mitmdump ${rss[mitmproxy]} MiB. Stored by MiAudit (flows/findings): $stored."

if [ -n "${SOAK:-}" ]; then
  echo; echo "Soak: $SOAK requests through MiAudit (--store all), RSS sampled every 5 s" >&2
  pid=$(pid_of "$miaudit_port")
  samples="$work/rss.txt"; : > "$samples"
  (while kill -0 "$pid" 2>/dev/null; do awk '/VmRSS/ {print $2/1024}' "/proc/$pid/status" >> "$samples"; sleep 5; done) &
  sampler=$!
  started=$(date +%s)
  hey -n "$SOAK" -c "$concurrency" -x "http://127.0.0.1:$miaudit_port" "$origin/small.txt" > "$work/soak.txt" 2>&1
  kill "$sampler" 2>/dev/null || true
  elapsed=$(( $(date +%s) - started ))
  awk -v n="$(wc -l < "$samples")" -v s="$SOAK" -v t="$elapsed" '
    { v[NR] = $1 }
    END { q = int(n / 4); if (q < 1) q = 1
          for (i = 1; i <= q; i++) first += v[i]
          for (i = n - q + 1; i <= n; i++) last += v[i]
          printf "Soak: %d requests in %d s; %d RSS samples; first quartile %.0f MiB, last quartile %.0f MiB\n", s, t, n, first / q, last / q }' "$samples"
  grep -E "Requests/sec|\[[0-9]+\]" "$work/soak.txt"
fi
