"""Renders gateway/envoy.yaml: replaces each ${NAME} with the environment variable NAME.

    python3 tools/gateway/render.py gateway/envoy.yaml > envoy.rendered.yaml

Fails (exit 2, naming them) when a placeholder has no value, so a half-rendered config never
reaches Envoy. Same syntax as `envsubst`, which can render the file too.
"""
import os
import re
import sys

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def main() -> int:
    text = open(sys.argv[1], encoding="utf-8").read()
    missing = sorted({m for m in PLACEHOLDER.findall(text) if m not in os.environ})
    if missing:
        print("render: no value for " + ", ".join(missing), file=sys.stderr)
        return 2
    sys.stdout.write(PLACEHOLDER.sub(lambda m: os.environ[m.group(1)], text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
