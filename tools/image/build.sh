#!/usr/bin/env bash
# Checks the Dockerfile against the chart, then builds the image here WITHOUT a registry or a
# Docker daemon and checks what is in it: buildah (Debian package) assembles it from scratch out
# of a Debian bookworm minbase root made by debootstrap (from the Debian mirror, cached), a JRE
# jlink'ed from this machine's JDK 21+, server/target/cairn-server.jar and web/dist, with the
# Dockerfile's runtime settings (user 10001:10001, entrypoint, env, volumes, ports). CI with a
# registry builds the Dockerfile itself (`docker build .`, multi-stage); this script is for
# machines without one and proves the runtime half: the image starts as the chart runs it.
#
#   ./mvnw -B -ntp -DskipTests package && (cd web && npm ci && npm run build)
#   tools/image/build.sh                 # as root (buildah, debootstrap); ~10 min the first time
#   IMAGE_ROOTFS=/some/bookworm-rootfs tools/image/build.sh   # reuse a root made by debootstrap
#   IMAGE_CHECK_ONLY=1 tools/image/build.sh                   # only the Dockerfile/chart check
#
# Writes tools/image/out/cairn-server.oci.tar (git-ignored; `podman load -i` / `skopeo copy
# oci-archive:…` take it). Uses its own buildah storage under tools/image/.cache (vfs driver)
# and removes the working containers it made; nothing else is touched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../lib/jdk.sh
source "$repo/tools/lib/jdk.sh"

python3 "$here/check_dockerfile.py" "$repo"
[[ "${IMAGE_CHECK_ONLY:-0}" == 1 ]] && exit 0

jar="$repo/server/target/cairn-server.jar"
dist="$repo/web/dist"
[[ -f "$jar" ]] || { echo "missing $jar: ./mvnw -B -ntp -DskipTests package" >&2; exit 2; }
[[ -f "$dist/index.html" ]] || { echo "missing $dist: (cd web && npm ci && npm run build)" >&2; exit 2; }
for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install buildah debootstrap" >&2; exit 2; }
done

cache="$here/.cache"
out="$here/out"
mkdir -p "$cache" "$out"
store=(--root "$cache/storage" --runroot "$cache/run" --storage-driver vfs)
b() { buildah "${store[@]}" "$@"; }
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-image.XXXXXX")"
ctr=""
probe=""
cleanup() {
  [[ -n "$probe" ]] && b rm "$probe" >/dev/null 2>&1 || true
  [[ -n "$ctr" ]] && b rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rootfs="${IMAGE_ROOTFS:-$cache/rootfs-bookworm}"
if [[ ! -x "$rootfs/usr/sbin/useradd" ]]; then
  echo "image: debootstrap bookworm (minbase) into $rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
fi

# The JRE: the modules the server uses (java.se; Unsafe for Netty and protobuf; the vector API
# Lucene's HNSW search uses; the HTTP server of /metrics and the console), no debug symbols.
jdk="$(cairn_java_home)"
echo "image: jlink a JRE from $jdk"
"$jdk/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.incubator.vector,jdk.management,jdk.zipfs,jdk.httpserver,jdk.naming.dns,jdk.localedata \
  --strip-debug --no-header-files --no-man-pages --output "$work/jre" 2>&1 | grep -v "incubator modules" || true

ctr="$(b from scratch)"
mnt="$(b mount "$ctr")"
cp -a "$rootfs/." "$mnt/"
rm -rf "$mnt/var/cache/apt/archives/"*.deb "$mnt/var/lib/apt/lists/"*
chroot "$mnt" groupadd --system --gid 10001 cairn
chroot "$mnt" useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/cairn --no-create-home --shell /usr/sbin/nologin cairn
install -d -o 10001 -g 10001 -m 0700 "$mnt/var/lib/cairn"
mkdir -p "$mnt/opt/cairn"
cp -a "$work/jre" "$mnt/opt/java"
ln -s /opt/java/bin/java "$mnt/usr/local/bin/java"
install -o 0 -g 0 -m 0444 "$jar" "$mnt/opt/cairn/cairn-server.jar"
cp -r "$dist" "$mnt/opt/cairn/web"
chown -R 0:0 "$mnt/opt/cairn/web"
chmod -R a+rX,go-w "$mnt/opt/cairn/web"
b umount "$ctr" >/dev/null

# the Dockerfile's runtime stage, setting for setting
b config \
  --env CAIRN_DATA_DIR=/var/lib/cairn \
  --env "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC -Djava.io.tmpdir=/tmp" \
  --user 10001:10001 --workingdir /var/lib/cairn \
  --volume /var/lib/cairn --volume /tmp \
  --port 50051 --port 9464 --port 8081 --port 8090 \
  --entrypoint '["java", "--add-modules=jdk.incubator.vector", "-jar", "/opt/cairn/cairn-server.jar"]' --cmd '' \
  --label org.opencontainers.image.source=cairn --label "org.opencontainers.image.revision=$(git -C "$repo" rev-parse HEAD)" \
  "$ctr"
image="localhost/cairn/cairn-server:check"
b commit --quiet --rm "$ctr" "$image" >/dev/null
ctr=""

# What is in it, and that it starts as the chart starts it.
problems=()
config="$(b inspect --type image "$image")"
python3 - "$config" <<'PY' || problems+=("image config")
import json, sys
c = json.loads(sys.argv[1])["OCIv1"]["config"]
ok = c.get("User") == "10001:10001" and c.get("Entrypoint") == ["java", "--add-modules=jdk.incubator.vector", "-jar", "/opt/cairn/cairn-server.jar"] \
    and "CAIRN_DATA_DIR=/var/lib/cairn" in c.get("Env", []) and set(c.get("Volumes", {})) == {"/var/lib/cairn", "/tmp"}
print(f"image config: user {c.get('User')}, entrypoint {c.get('Entrypoint')}, volumes {sorted(c.get('Volumes', {}))}, ports {sorted(c.get('ExposedPorts', {}))}")
sys.exit(0 if ok else 1)
PY
probe="$(b from "$image")"
# chroot isolation: no OCI runtime or cgroups needed (inside a container, crun cannot make them)
run() { b run --isolation chroot --user 10001:10001 "$probe" -- "$@"; }
[[ "$(run id -u)" == 10001 ]] || problems+=("does not run as uid 10001")
java_version="$(run java -version 2>&1)" || problems+=("java does not run in the image: $java_version")
echo "image: $(grep -m1 'version' <<<"$java_version")"
run test -f /opt/cairn/web/index.html || problems+=("no console at /opt/cairn/web/index.html")
run sh -c '! test -w /opt/cairn/cairn-server.jar && ! test -w /opt/cairn/web/index.html' || problems+=("the jar or the console is writable by the server's user")
run sh -c 'test -w /var/lib/cairn' || problems+=("/var/lib/cairn is not writable by the server's user")
# `migrate` without a database URL: the jar's CLI answers (exit 2, one line) — the JRE runs it
set +e
migrate_out="$(run java --add-modules=jdk.incubator.vector -jar /opt/cairn/cairn-server.jar migrate 2>&1)"
migrate_rc=$?
set -e
echo "image: migrate without CAIRN_DATABASE_URL -> exit $migrate_rc: $(grep 'cairn migrate' <<<"$migrate_out")"
[[ $migrate_rc == 2 ]] && grep -q "CAIRN_DATABASE_URL is not set" <<<"$migrate_out" || problems+=("the jar does not start in the image: $migrate_out")
b rm "$probe" >/dev/null
probe=""

rm -f "$out/cairn-server.oci.tar"
b push --quiet "$image" "oci-archive:$out/cairn-server.oci.tar:cairn/cairn-server:check" >/dev/null
b rmi "$image" >/dev/null
if (( ${#problems[@]} )); then
  printf 'image: FAILED\n' >&2
  printf '  %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "image: $(du -h "$out/cairn-server.oci.tar" | cut -f1) at $out/cairn-server.oci.tar; contents checked"
