"""packaging/Dockerfile without an image build: hadolint finds nothing, every COPY source (other
than from a stage) exists in the build context, and .dockerignore leaves in what `cargo build`
needs (the manifest's targets included) and keeps out the heavy directories.

Usage: dockerfile.py HADOLINT
"""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "packaging" / "Dockerfile"


def instructions(text):
    """(keyword, arguments) per instruction, with continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            yield keyword.upper(), args.strip()


def copy_sources(args):
    """Sources of a COPY from the build context; none for COPY --from=STAGE."""
    words = json.loads(args) if args.startswith("[") else args.split()
    flags = [w for w in words if w.startswith("--")]
    if any(f.startswith("--from=") for f in flags):
        return []
    return [w for w in words if not w.startswith("--")][:-1]


def ignore_patterns():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path, patterns):
    """Whether .dockerignore drops `path` (Go filepath.Match plus **, as Docker applies it)."""
    def regex(pattern):
        out = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/")):
            out += {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        return re.compile(out + "(/.*)?$")
    verdict = False
    for p in patterns:
        negate = p.startswith("!")
        if regex(p.lstrip("!")).match(path):
            verdict = not negate
    return verdict


def needed_paths():
    """Files `cargo build --release --locked --bin croft` reads from the context."""
    manifest = tomllib.loads((ROOT / "Cargo.toml").read_text())
    paths = ["Cargo.toml", "Cargo.lock", "build.rs", "src/main.rs", "migrations", "assets"]
    for kind in ("bench", "bin", "example", "test"):
        for target in manifest.get(kind, []):
            paths.append(target.get("path") or f"{kind}es/{target['name']}.rs".replace("benchs", "benches"))
    return paths


def main(hadolint):
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    print(result.stdout + result.stderr or "hadolint: no findings")
    failures = [] if result.returncode == 0 else ["hadolint reports findings"]

    for keyword, args in instructions(DOCKERFILE.read_text()):
        if keyword in ("COPY", "ADD"):
            for src in copy_sources(args):
                if not (ROOT / src).exists():
                    failures.append(f"{keyword} source {src} does not exist in the build context")
                elif ignored(src, ignore_patterns()) and src != ".":
                    failures.append(f"{keyword} source {src} is excluded by .dockerignore")
    print("COPY sources exist in the build context")

    patterns = ignore_patterns()
    for path in needed_paths():
        if not (ROOT / path).exists():
            failures.append(f"{path} is needed by the build but missing")
        if ignored(path, patterns):
            failures.append(f".dockerignore excludes {path}, which the build needs")
    for heavy in ("target", ".git", "tests/js/node_modules", "croft_data"):
        if not ignored(heavy, patterns):
            failures.append(f".dockerignore lets {heavy} into the build context")
    print(".dockerignore keeps the build's inputs and drops target, .git, node_modules, croft_data")

    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main(sys.argv[1])
