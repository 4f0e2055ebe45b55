#!/usr/bin/env python3
"""Checks the repository's Dockerfile against the Helm chart it is built for, without building:
the user is the chart's runAsUser/runAsGroup, the entrypoint is the chart's image.command, the
console lands in console.dir, the data folder is the chart's data volume, every chart port is
exposed, and the build context leaves target/ and node_modules/ out.

    python3 check_dockerfile.py REPO
"""
import pathlib
import re
import shlex
import sys

import yaml

problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def instructions(text):
    """(INSTRUCTION, argument) of the final stage and of all stages, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [l.strip() for l in joined.splitlines() if l.strip() and not l.strip().startswith("#")]
    parsed = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if " " in l else "") for l in lines]
    last_from = max(i for i, (op, _) in enumerate(parsed) if op == "FROM")
    return parsed[last_from:], parsed


def main():
    repo = pathlib.Path(sys.argv[1])
    values = yaml.safe_load((repo / "helm/cairn/values.yaml").read_text())
    final, every = instructions((repo / "Dockerfile").read_text())

    def args(op):
        return [a for o, a in final if o == op]

    pod = values["podSecurityContext"]
    users = args("USER")
    check(users == [f'{pod["runAsUser"]}:{pod["runAsGroup"]}'],
          f'USER {users} (expected one, {pod["runAsUser"]}:{pod["runAsGroup"]}: the chart\'s runAsUser:runAsGroup)')
    check(any(f'--uid {pod["runAsUser"]}' in a for a in args("RUN")), "the image defines no user with the chart's uid")

    entry = args("ENTRYPOINT")
    check(len(entry) == 1 and yaml.safe_load(entry[0]) == values["image"]["command"],
          f'ENTRYPOINT {entry} (expected the chart\'s image.command {values["image"]["command"]})')
    jar = values["image"]["command"][-1]
    copies = [shlex.split(a) for a in args("COPY")]
    targets = [c[-1].rstrip("/") for c in copies]
    check(jar in targets, f"the image does not COPY the server jar to {jar}")
    check(values["console"]["dir"] in targets, f'the image does not COPY web/dist to console.dir {values["console"]["dir"]}')
    check(any("/src/web/dist" in " ".join(c) for c in copies), "the console is not the web stage's dist/")
    check(any(c[:2] == ["--from=server", "--chown=0:0"] for c in copies), "the jar is not root-owned (a read-only image file)")

    env = " ".join(args("ENV"))
    check("CAIRN_DATA_DIR=/var/lib/cairn" in env, "CAIRN_DATA_DIR is not /var/lib/cairn (the chart's data volume)")
    check("-Djava.io.tmpdir=/tmp" in env, "the JVM's temp folder is not /tmp (the chart's writable volume)")
    volumes = " ".join(args("VOLUME"))
    check("/var/lib/cairn" in volumes and "/tmp" in volumes, "VOLUME does not declare /var/lib/cairn and /tmp")

    exposed = {int(p.split("/")[0]) for a in args("EXPOSE") for p in a.split()}
    wanted = {values["ports"][k] for k in ("grpc", "metrics", "web", "mcp")}
    check(wanted <= exposed, f"EXPOSE {sorted(exposed)} misses the chart's ports {sorted(wanted - exposed)}")

    stages = [a.split() for o, a in every if o == "FROM"]
    check(len(stages) == 3 and [s[-1] for s in stages[:2]] == ["server", "web"],
          f"expected the stages server, web and the runtime: {stages}")
    check(any("-DskipTests" in a and "package" in a for o, a in every if o == "RUN"), "the server stage does not package the jar")
    check(any("npm ci" in a and "npm run build" in a for o, a in every if o == "RUN"), "the web stage does not build the console")

    ignore = (repo / ".dockerignore").read_text().split()
    for pattern in ("**/target/", "**/node_modules/", ".git/"):
        check(pattern in ignore, f".dockerignore does not leave out {pattern}")

    if problems:
        print("check_dockerfile: FAILED\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"check_dockerfile: Dockerfile matches helm/cairn (uid {pod['runAsUser']}, {jar}, "
          f"{values['console']['dir']}, ports {sorted(wanted)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
