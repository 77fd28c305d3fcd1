// The glibc malloc tunables alignlab runs with on Linux (bin/alignlab re-executes itself with
// them; bench/llamacpp.ts gives them to its workers; README, "Performance"):
// - mmap_threshold 1 GB, trim_threshold 4 GB: freed blocks up to 1 GB stay in the heap for
//   reuse instead of being unmapped and faulted in again;
// - hugetlb=1: the heap is backed by transparent huge pages;
// - arena_max=1: every thread allocates from the main arena. In a per-thread arena, glibc maps
//   any block over 64 MB (its arena heap size) on its own and unmaps it on free, whatever the
//   threshold, so ONNX Runtime's large buffers in the generation workers were faulted in anew
//   on every call;
// - top_pad 1 GB: the main arena cannot grow by brk here (with hugetlb=1 a mapping sits right
//   after the initial heap: /proc/self/maps, strace), so it grows by mapped segments; each is
//   at least 1 GB beyond the request, so blocks coalesce within a few large segments instead of
//   one new segment per larger request.
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296:glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.top_pad=1073741824';
