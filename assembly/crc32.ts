// crc32: see docs/core-abi.md
