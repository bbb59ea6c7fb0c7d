#!/usr/bin/env bash
# Measures, in one run on this machine: a local TLS origin (nginx) directly, through MiAudit with detection and storage
# on (--store all), through MiAudit with --no-detect, through the JIT build with detection (what `dotnet run` and the
# .NET tool run; the shipped binary is Native AOT from src/publish.sh) and through Debian's mitmproxy (mitmdump).
# Loads (Debian's hey): keep-alive small GETs, a new TLS connection per request, Sensors-style telemetry POSTs, and
# 1 MiB downloads. Each proxy is started just before its loads and stopped after them (no warm-up, nothing idle
# sharing the cores), keep-alive first: what a phone meets in the first seconds. Also: time from start to listening,
# the first 5 s against 30 s later, peak RSS after the first load and at the end.
# Prints requests/s, p50/p99 latency, peak RSS and the ratios. Exits non-zero only when setup fails, never on a number.
#
#   bash tests/benchmarks/proxy-benchmark.sh                # about 9 minutes (2 of them publishing the AOT binary)
#   MIAUDIT_BIN=dist/linux-x64/miaudit bash …               # an already published binary
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

work=$(mktemp -d /tmp/miaudit-bench.XXXXXX)
dotnet build -c Release src/MiAudit.Cli -v quiet -nologo >/dev/null
jit=(dotnet "$root/src/MiAudit.Cli/bin/Release/net10.0/miaudit.dll")
if [ -n "${MIAUDIT_BIN:-}" ]; then
  aot=("$(realpath "$MIAUDIT_BIN")")
else
  echo "publishing the linux-x64 binary (src/publish.sh)" >&2
  MIAUDIT_DIST="$work/dist" bash src/publish.sh linux-x64 >/dev/null
  aot=("$work/dist/linux-x64/miaudit")
fi
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

# --- the proxies: each started fresh for its measurements ----------------------------------------------------------
declare -A cmd args port
cmd[miaudit]=aot; args[miaudit]="--store all --device-profile $work/phone.yaml"
cmd[nodetect]=aot; args[nodetect]="--no-detect"
cmd[jit]=jit; args[jit]="--store all --device-profile $work/phone.yaml"
current=""
start_proxy() { # target -> sets port[target], current
  local target=$1 p; p=$(free_port); port[$target]=$p; current=$target
  rm -rf "${work:?}/$target"; mkdir -p "$work/$target"
  if [ "$target" = mitmproxy ]; then
    mitmdump --listen-host 127.0.0.1 --listen-port "$p" --ssl-insecure -q --set confdir="$work/mitm" >"$work/$target.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do curl -s -o /dev/null -x "http://127.0.0.1:$p" -k "https://127.0.0.1:$origin_port/small.txt" && return; sleep 0.2; done
    echo "mitmdump did not start" >&2; exit 1
  fi
  local -n program=${cmd[$target]}
  # shellcheck disable=SC2086 # args are words
  (cd "$work/$target" && exec "${program[@]}" run --listen "127.0.0.1:$p" --allow-loopback-upstream --upstream-ca "$work/origin.pem" -q ${args[$target]} >"$work/$target.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q "Listening on" "$work/$target.log" 2>/dev/null && return; sleep 0.05; done
  echo "MiAudit ($target) did not start:" >&2; cat "$work/$target.log" >&2; exit 1
}
stop_proxy() {
  local pid; pid=$(pid_of "${port[$current]}")
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  current=""
}

pid_of() { # the process listening on a port
  ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1
}
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# Milliseconds from exec to the "Listening on" line, median of 5 fresh starts (new folder each: CA creation included
# only in the first, as on a researcher's first run).
startup_ms() { # program words...
  python3 - "$work/startup" "$@" <<'PY'
import os, subprocess, sys, time, statistics
folder, program = sys.argv[1], sys.argv[2:]
os.makedirs(folder, exist_ok=True)
times = []
for i in range(6):
    start = time.monotonic()
    p = subprocess.Popen(program + ["run", "--listen", "127.0.0.1:0", "--store", "all"], cwd=folder,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in p.stdout:
        if "Listening on" in line:
            times.append((time.monotonic() - start) * 1000)
            break
    p.terminate(); p.wait()
print(f"{statistics.median(times[1:]):.0f} {times[0]:.0f}")
PY
}

# --- measurements -----------------------------------------------------------------------------------------------------
origin="https://127.0.0.1:$origin_port"
declare -A result
run_load() { # target, load -> "rps p50ms p99ms non200"
  local target=$1 load=$2 proxy=()
  [ "$target" = direct ] || proxy=(-x "http://127.0.0.1:${port[$target]}")
  local opts=(-c "$concurrency") url="$origin/small.txt"
  case $load in
    newconn) opts+=(-disable-keepalive) ;;
    telemetry) opts+=(-m POST -T application/x-www-form-urlencoded -D "$work/telemetry.txt"); url="$origin/sa?project=p" ;;
    download) opts=(-c 4); url="$origin/1mib.bin" ;;
  esac
  local out rps p50 p99 errors
  out=$(hey -z "$duration" "${opts[@]}" ${proxy[@]+"${proxy[@]}"} "$url" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '/ 50%/ {printf "%.1f", $3*1000}')
  p99=$(echo "$out" | awk '/ 99%/ {printf "%.1f", $3*1000}')
  errors=$(echo "$out" | awk '/^Status code distribution/ {s = 1; next} /^Error distribution/ {s = 0; e = 1; next}
                              s && /\[[0-9]+\]/ && $1 != "[200]" {n += $2} e && /\[[0-9]+\]/ {n += $1} END {print n+0}')
  result["$target/$load"]="${rps:-0} ${p50:-?} ${p99:-?} $errors"
}

loads=(keepalive newconn telemetry download)
targets=(direct miaudit nodetect jit mitmproxy)
declare -A rss first_rss
for target in "${targets[@]}"; do
  [ "$target" = direct ] || start_proxy "$target"
  for load in "${loads[@]}"; do
    echo "measuring $target / $load" >&2
    run_load "$target" "$load"
    if [ "$target" != direct ] && [ "$load" = keepalive ]; then first_rss[$target]=$(peak_rss_mib "$(pid_of "${port[$target]}")"); fi
  done
  if [ "$target" != direct ]; then rss[$target]=$(peak_rss_mib "$(pid_of "${port[$target]}")"); stop_proxy; fi
done
stored=$(cd "$work/miaudit" && sqlite3 miaudit.db "select count(*) from flows; select count(*) from findings;" 2>/dev/null | paste -sd/ || echo "?")

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version | sed 's/^/.NET SDK /'); nginx $(nginx -v 2>&1 | sed 's/.*\///'); mitmproxy $(mitmdump --version 2>/dev/null | awk '/Mitmproxy/ {print $2}'); hey -c $concurrency, $duration per load"
printf '\n| load | target | req/s | p50 ms | p99 ms | non-200 | peak RSS MiB |\n|---|---|---:|---:|---:|---:|---:|\n'
for load in "${loads[@]}"; do
  for target in "${targets[@]}"; do
    read -r rps p50 p99 errors <<<"${result[$target/$load]}"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$load" "$target" "$rps" "$p50" "$p99" "$errors" "${rss[$target]:--}"
  done
done
printf '\n| load | MiAudit / mitmproxy | MiAudit / direct | --no-detect / direct | JIT build / direct | MiAudit p50 added ms |\n|---|---:|---:|---:|---:|---:|\n'
for load in "${loads[@]}"; do
  read -r d dp50 _ <<<"${result[direct/$load]}"; read -r m mp50 _ <<<"${result[miaudit/$load]}"
  read -r n _ <<<"${result[nodetect/$load]}"; read -r j _ <<<"${result[jit/$load]}"; read -r x _ <<<"${result[mitmproxy/$load]}"
  awk -v l="$load" -v d="$d" -v m="$m" -v n="$n" -v j="$j" -v x="$x" -v dp="$dp50" -v mp="$mp50" \
    'BEGIN {printf "| %s | %.1f× | %.0f%% | %.0f%% | %.0f%% | %.1f |\n", l, (x>0?m/x:0), (d>0?100*m/d:0), (d>0?100*n/d:0), (d>0?100*j/d:0), mp-dp}'
done
echo
echo "Peak RSS after the first ${duration} keep-alive load right after start: MiAudit ${first_rss[miaudit]} MiB, --no-detect ${first_rss[nodetect]} MiB, JIT build ${first_rss[jit]} MiB, mitmdump ${first_rss[mitmproxy]} MiB."
echo "Peak RSS after all loads: MiAudit ${rss[miaudit]} MiB (detection + storage), ${rss[nodetect]} MiB (--no-detect), JIT build ${rss[jit]} MiB, mitmdump ${rss[mitmproxy]} MiB. Stored by MiAudit (flows/findings): $stored."

# First seconds: a fresh proxy (detection, --store all) under keep-alive load from its first second, 5 s windows.
for target in miaudit jit; do
  start_proxy "$target"
  curve=()
  for window in 1 2 3 4 5 6 7; do
    rps=$(hey -z 5s -c "$concurrency" -x "http://127.0.0.1:${port[$target]}" "$origin/small.txt" 2>&1 | awk '/Requests\/sec/ {printf "%.0f", $2}')
    curve+=("$rps")
  done
  stop_proxy
  # Against the median of the windows at 20-35 s: one window alone moves with whatever else the shared host runs.
  awk -v t="$target" -v c="${curve[*]}" 'BEGIN {n = split(c, v, " "); a = v[n-2]; b = v[n-1]; d = v[n]
    m = (a >= b) ? ((b >= d) ? b : ((a >= d) ? d : a)) : ((a >= d) ? a : ((b >= d) ? d : b))
    printf "First seconds (%s): req/s per 5 s window %s; first window / median of the windows at 20-35 s = %.0f%%\n", t, c, (m>0?100*v[1]/m:0)}'
done
read -r aot_start aot_first <<<"$(startup_ms "${aot[@]}")"
read -r jit_start jit_first <<<"$(startup_ms "${jit[@]}")"
echo "Start to listening (median of 5, CA already there): MiAudit ${aot_start} ms, JIT build ${jit_start} ms; first run creating the CA: ${aot_first} ms, ${jit_first} ms."

if [ -n "${SOAK:-}" ]; then
  echo; echo "Soak: $SOAK requests through MiAudit (--store all), RSS sampled every 5 s" >&2
  start_proxy miaudit
  pid=$(pid_of "${port[miaudit]}")
  samples="$work/rss.txt"; : > "$samples"
  (while kill -0 "$pid" 2>/dev/null; do awk '/VmRSS/ {print $2/1024}' "/proc/$pid/status" >> "$samples"; sleep 5; done) &
  sampler=$!
  started=$(date +%s)
  hey -n "$SOAK" -c "$concurrency" -x "http://127.0.0.1:${port[miaudit]}" "$origin/small.txt" > "$work/soak.txt" 2>&1
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
