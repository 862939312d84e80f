// pack indexing exports: see docs/core-abi.md
