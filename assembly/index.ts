// The core's export surface: every function exported from these modules is part
// of the ABI documented in docs/core-abi.md. Internal helpers stay unexported.

export { alloc, free } from "./memory";
export { errorCode, errorOffset, errorMessagePtr, errorMessageLen } from "./error";

export * from "./inflate";
export * from "./deflate";
export * from "./adler32";
export * from "./crc32";
export * from "./sha1";
export * from "./sha256";
export * from "./pack/index";
export * from "./tree";
export { fsckObject, fsckFindingsPtr, fsckFindingsLen, fsckReset, fsckLostErrors } from "./fsck";
export * from "./index-file";
export * from "./convert";
