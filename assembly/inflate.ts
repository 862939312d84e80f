// inflate: see docs/core-abi.md
