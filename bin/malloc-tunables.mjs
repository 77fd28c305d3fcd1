// The glibc malloc tunables alignlab runs with on Linux (bin/alignlab re-executes itself with
// them; bench/llamacpp.ts gives them to its workers): keep freed blocks up to 1 GB on the heap,
// never trim it, and back it with transparent huge pages (README, "Performance").
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296:glibc.malloc.hugetlb=1';
