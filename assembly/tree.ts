// tree: see docs/core-abi.md
