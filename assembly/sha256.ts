// sha256: see docs/core-abi.md
