# syntax=docker/dockerfile:1.7
# The Cairn server image the Helm chart runs (helm/cairn, image.repository cairn/cairn-server):
# the server jar (embedding model and ONNX Runtime natives inside it) and the console's built
# web/dist, on a JRE, as uid/gid 10001 (the chart's runAsUser/runAsGroup/fsGroup), working with
# a read-only root filesystem (writes go only to /tmp and /var/lib/cairn, the chart's two volumes).
#
#   docker build -t cairn/cairn-server:$(git rev-parse --short HEAD) .     # from the repository root
#   tools/image/check.sh        # static checks against the chart; builds and inspects when a daemon answers
#
# Base images are pinned by tag here; a release build pins them by digest (--build-arg
# JDK_IMAGE=eclipse-temurin:21-jdk-noble@sha256:…) so a rebuild is the same image.
ARG JDK_IMAGE=eclipse-temurin:21-jdk-noble
ARG NODE_IMAGE=node:22-bookworm-slim
ARG JRE_IMAGE=eclipse-temurin:21-jre-noble

# --- the server jar: the same command as the README's build, tests left to CI's test job
FROM ${JDK_IMAGE} AS server
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY proto/ proto/
COPY client/ client/
COPY server/ server/
# the reactor reads every module's pom, even with -pl server
COPY tools/pom.xml tools/pom.xml
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -DskipTests -pl server -am package \
 && cp server/target/cairn-server.jar /cairn-server.jar

# --- the console: stubs from the contracts (npm run gen) and the Vite build
FROM ${NODE_IMAGE} AS web
WORKDIR /src
COPY proto/src/main/proto/ proto/src/main/proto/
COPY web/ web/
RUN --mount=type=cache,target=/root/.npm \
    cd web && npm ci --no-audit --no-fund && npm run build

# --- what runs: a JRE, the jar, the console, nothing else
FROM ${JRE_IMAGE}
# the chart's securityContext runs as 10001:10001; the user exists so tools that look it up
# (and a `docker run` without the chart) see the same identity, with no login shell
RUN groupadd --system --gid 10001 cairn \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/cairn --no-create-home \
      --shell /usr/sbin/nologin cairn \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/cairn
COPY --from=server --chown=0:0 --chmod=0444 /cairn-server.jar /opt/cairn/cairn-server.jar
COPY --from=web --chown=0:0 /src/web/dist/ /opt/cairn/web/
# Defaults for a plain `docker run`; the chart sets each of these itself. The JVM's temp files
# (ONNX Runtime's native libraries) go to /tmp, a writable volume under a read-only root.
ENV CAIRN_DATA_DIR=/var/lib/cairn \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC -Djava.io.tmpdir=/tmp"
USER 10001:10001
WORKDIR /var/lib/cairn
VOLUME ["/var/lib/cairn", "/tmp"]
# gRPC, Prometheus /metrics, the console (when CAIRN_WEB_DIR=/opt/cairn/web), MCP (when enabled)
EXPOSE 50051 9464 8081 8090
# the chart's image.command; its migration Job appends `migrate` (and `rewrap-keys`)
ENTRYPOINT ["java", "--add-modules=jdk.incubator.vector", "-jar", "/opt/cairn/cairn-server.jar"]
