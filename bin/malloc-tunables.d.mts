/** The glibc malloc tunables alignlab runs with on Linux (malloc-tunables.mjs). */
export declare const MALLOC_TUNABLES: string;
