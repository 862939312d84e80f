// index-file: see docs/core-abi.md
