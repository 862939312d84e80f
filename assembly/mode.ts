// File modes in git trees (the st_mode bits git keeps): the object type in
// the S_IFMT bits, and a gitlink (a submodule's commit) as 0160000.

export const S_IFMT: u32 = 0o170000;
export const S_IFDIR: u32 = 0o040000;
export const S_IFREG: u32 = 0o100000;
export const S_IFLNK: u32 = 0o120000;
export const S_IFGITLINK: u32 = 0o160000;
