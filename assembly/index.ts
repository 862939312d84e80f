// The core's export surface. Each module owns its state; this file only decides
// what the host can call. Documented in docs/core-abi.md.

export { alloc, free } from "./memory";
export { errorCode, errorOffset, errorMessagePtr, errorMessageLen } from "./error";
