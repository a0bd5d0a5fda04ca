#!/usr/bin/env bash
# Provisions the tools Recertify's dev stack and tests need, idempotently, cached outside the work tree
# (in $RECERTIFY_CACHE, default ~/.cache/recertify) so a fresh clone reuses them:
#   - the Temporal CLI (dev server + Web UI): `temporal` from PATH, else built with `go install`;
#   - Temporal's time-skipping test server (Java, from Maven Central) behind an executable wrapper that
#     the TypeScript SDK can launch, with a class-data-sharing archive so the JVM answers in ~0.3 s;
#   - the full Temporal server and its schema tool (go.temporal.io/server cmd/server and cmd/tools/sql
#     at the version the CLI embeds), built with `go install`, for RECERTIFY_TEMPORAL=server and the
#     full-server tests; skipped with --no-full-server (what `npm run dev` on the dev server asks for);
#   - Chromium for the admin page's browser tests (Debian's package), only with --with-browser.
# Everything comes from package registries (Go module proxy, Maven Central, Debian); nothing is
# downloaded from a URL.
set -euo pipefail

CACHE="${RECERTIFY_CACHE:-$HOME/.cache/recertify}"
BIN="$CACHE/bin"
mkdir -p "$BIN"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WITH_BROWSER=0
FULL_SERVER=1
for arg in "$@"; do
  case "$arg" in
    --with-browser) WITH_BROWSER=1 ;;
    --no-full-server) FULL_SERVER=0 ;;
    *) echo "provision: unknown argument $arg" >&2; exit 2 ;;
  esac
done

say() { echo "[provision] $*" >&2; }
elapsed() { echo $(( $(date +%s) - $1 )); }

# --- Temporal CLI -------------------------------------------------------------------------------
# v1.5.1 is the last tag `go install` accepts (later tags carry a replace directive); v1.4.1 is the
# fallback. The UI server is a Go module with its assets embedded, so the build includes the Web UI.
if [ -x "$BIN/temporal" ]; then
  :
elif command -v temporal >/dev/null 2>&1; then
  ln -sf "$(command -v temporal)" "$BIN/temporal"
  say "using temporal from PATH: $(command -v temporal)"
else
  command -v go >/dev/null || { say "Go is required to build the Temporal CLI (or put 'temporal' on PATH)"; exit 1; }
  start=$(date +%s)
  say "building the Temporal CLI with 'go install' (first time only, about 3-6 minutes on 2 cores)..."
  built=""
  for version in v1.5.1 v1.4.1; do
    if GOBIN="$BIN" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/temporalio/cli/cmd/temporal@$version"; then
      built="$version"; break
    fi
    say "temporal CLI $version did not build; trying the next tag"
  done
  [ -n "$built" ] || { say "could not build the Temporal CLI"; exit 1; }
  say "built temporal CLI $built in $(elapsed "$start")s -> $BIN/temporal"
fi

# --- Full Temporal server and its schema tool ------------------------------------------------------
# Both packages build a binary named after their directory (`server`, `sql`), so each gets a GOBIN
# of its own, keyed by version; bin/temporal-server and bin/temporal-sql-tool link to them. v1.29.1
# is the server the CLI v1.5.1 embeds; its go.mod has no replace directive, so `go install` takes it.
# Pure Go (CGO_ENABLED=0). Measured first build here: 16 min 4 s for the server, then 7 s for the
# schema tool (same packages), with the module cache warm from the CLI's build, on the 2 cores shared
# with other test runs (load average 10-14 throughout): expect less on an idle machine. Once only.
SERVER_VERSION=v1.29.1
build_server_tool() { # <package> <dir> <binary> <link name>
  local pkg="$1" dir="$CACHE/$2-$SERVER_VERSION" bin="$3" link="$4"
  if [ ! -x "$dir/$bin" ]; then
    command -v go >/dev/null || { say "Go is required to build the Temporal server ($pkg@$SERVER_VERSION); install Go >= 1.23 or run with --no-full-server"; exit 1; }
    local start; start=$(date +%s)
    say "building $pkg@$SERVER_VERSION with 'go install' (first time only: minutes, up to ~16 on 2 busy cores)..."
    rm -rf "$dir.tmp"
    if ! CGO_ENABLED=0 GOBIN="$dir.tmp" GOFLAGS="${GOFLAGS:-} -trimpath" go install "$pkg@$SERVER_VERSION"; then
      rm -rf "$dir.tmp"
      say "could not build $pkg@$SERVER_VERSION (the go output above says why); the full-server tests and RECERTIFY_TEMPORAL=server need it"
      exit 1
    fi
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
    say "built $pkg@$SERVER_VERSION in $(elapsed "$start")s -> $dir/$bin"
  fi
  ln -sfn "$dir/$bin" "$BIN/$link"
}
if [ "$FULL_SERVER" = 1 ]; then
  build_server_tool go.temporal.io/server/cmd/server temporal-server server temporal-server
  build_server_tool go.temporal.io/server/cmd/tools/sql temporal-sql-tool sql temporal-sql-tool
fi

# --- Temporal time-skipping test server ---------------------------------------------------------
TS_DIR="$CACHE/test-server"
TS_VERSION="$(sed -n 's:.*<temporal.test.server.version>\(.*\)</temporal.test.server.version>.*:\1:p' "$HERE/test-server/pom.xml")"
if [ ! -f "$TS_DIR/lib/temporal-test-server-$TS_VERSION.jar" ]; then
  command -v mvn >/dev/null || { say "Maven is required to fetch the Temporal test server"; exit 1; }
  start=$(date +%s)
  say "fetching io.temporal:temporal-test-server:$TS_VERSION and its dependencies from Maven Central (about 10-30s)..."
  rm -rf "$TS_DIR"
  mkdir -p "$TS_DIR"
  mvn -q -B -f "$HERE/test-server/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$TS_DIR/lib" -DincludeScope=runtime >&2
  say "fetched the test server in $(elapsed "$start")s"
fi
# Flags: C1 only and the serial GC start the JVM fastest for a short-lived test server; the
# class-data-sharing archive (built once below) cuts the start from ~1 s to ~0.25 s here.
JVM_FLAGS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xmx512m"
cat > "$BIN/temporal-test-server.tmp" <<WRAP
#!/usr/bin/env bash
# Generated by recertify scripts/provision.sh. Usage: temporal-test-server <port>
CDS=""
[ -f "$TS_DIR/app.jsa" ] && CDS="-XX:SharedArchiveFile=$TS_DIR/app.jsa -Xshare:auto"
exec java $JVM_FLAGS \$CDS -cp "$TS_DIR/lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
chmod +x "$BIN/temporal-test-server.tmp"
mv "$BIN/temporal-test-server.tmp" "$BIN/temporal-test-server"
if [ ! -f "$TS_DIR/app.jsa" ]; then
  say "building the test server's class-data-sharing archive (once, ~5s)..."
  port=$(( 20000 + RANDOM % 20000 ))
  java $JVM_FLAGS -XX:ArchiveClassesAtExit="$TS_DIR/app.jsa.tmp" -cp "$TS_DIR/lib/*" \
    io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sleep 1
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -s "$TS_DIR/app.jsa.tmp" ]; then mv "$TS_DIR/app.jsa.tmp" "$TS_DIR/app.jsa"; else say "CDS archive not written; the JVM starts without it"; fi
fi

# --- Chromium for browser tests -----------------------------------------------------------------
if [ "$WITH_BROWSER" = 1 ] && [ -z "${CHROMIUM_PATH:-}" ] && ! [ -x /usr/bin/chromium ]; then
  start=$(date +%s)
  say "installing Debian's chromium for the admin page tests (about a minute)..."
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  if $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2; then
    say "installed chromium in $(elapsed "$start")s"
  elif [ -n "${CI:-}" ]; then
    say "could not install chromium; the admin page's browser tests need it"; exit 1
  else
    say "could not install chromium (needs root or sudo): the admin page's browser tests will be skipped"
  fi
fi

echo "$CACHE"
