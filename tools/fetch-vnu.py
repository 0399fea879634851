"""Fetch the Nu HTML Checker (vnu.jar) from the npm registry's vnu-jar package, check the tarball
against the registry's sha1 and write the jar to the given path. Used by the Makefile for the markup
tests: python tools/fetch-vnu.py VERSION SHA1 OUT.jar"""

import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path


def main(version: str, sha1: str, out: str) -> None:
    url = f"https://registry.npmjs.org/vnu-jar/-/vnu-jar-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    digest = hashlib.sha1(data).hexdigest()  # the digest the registry publishes for the tarball
    if digest != sha1:
        sys.exit(f"{url}: sha1 {digest}, expected {sha1}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        jar = tar.extractfile("package/build/dist/vnu.jar").read()
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    part.write_bytes(jar)
    part.replace(target)


if __name__ == "__main__":
    main(*sys.argv[1:])
