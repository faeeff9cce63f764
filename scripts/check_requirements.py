"""Exit 0 when every requirement in the given file is installed at a satisfying version."""
import sys
from importlib import metadata

try:
    from packaging.requirements import Requirement
except ImportError:  # packaging missing: let the caller install
    sys.exit(1)

missing = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    req = Requirement(line)
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        missing.append(line)
        continue
    if req.specifier and version not in req.specifier:
        missing.append(f"{line} (have {version})")
if missing:
    print("missing: " + ", ".join(missing), file=sys.stderr)
    sys.exit(1)
