// sha1: see docs/core-abi.md
