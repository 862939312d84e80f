// Pack exports (part of the ABI, see docs/core-abi.md "Pack indexing").
export { deltaHeader, deltaBaseSize, deltaResultSize, applyDelta } from "./delta";
