/**
 * The machine a run ran on, recorded in its `results.json`.
 *
 * A run is bit-identical for a seed and thread count only on hosts whose matrix kernels sum in
 * the same order. ONNX Runtime's CPU provider picks its kernels by the instruction sets the CPU
 * reports — AVX-512 where `avx512f` is present, else AVX2 with FMA — and the two sum in
 * different orders: the overoptimization lab gave bit-identical results on a Zen 4 and a Zen 5
 * host (both AVX-512) and another draw on a Zen 1 host (AVX2 only; README, the lab's table). Its
 * speed differs 3× between those hosts too. So a result is only reproducible, and a timing only
 * comparable, next to the CPU that produced it: `kernels` names the kernel family, and the CPU's
 * name, family and model identify the host.
 *
 *   const r = { ...results, host: hostInfo() };   // host.kernels: 'avx512' | 'avx2' | …
 */
import fs from 'node:fs';
import os from 'node:os';
import * as ort from 'onnxruntime-node';

export interface HostInfo {
  /** The CPU's name as the OS reports it (`model name` in /proc/cpuinfo). */
  cpu: string;
  /** x86 `cpu family` and `model` (e.g. 23 / 1: AMD Zen 1; 26 / 2: Zen 5), where the OS reports them. */
  cpuFamily?: number;
  cpuModel?: number;
  /** The clock the OS reports for the first CPU (`cpu MHz`; a VM's may be nominal). */
  cpuMHz?: number;
  /** The vector instruction sets that decide ONNX Runtime's CPU kernels, those present. */
  isa: string[];
  /** The kernel family those imply: 'avx512' (avx512f), 'avx2' (avx2 + fma), 'neon' (arm64), or 'other'. */
  kernels: 'avx512' | 'avx2' | 'neon' | 'other';
  /** Logical CPUs and memory. */
  cpus: number;
  memoryGiB: number;
  platform: string;
  arch: string;
  node: string;
  onnxruntime: string;
}

/** The instruction-set flags worth recording, in /proc/cpuinfo's spelling. */
const ISA_FLAGS = ['avx512f', 'avx512_vnni', 'avx512_bf16', 'avx_vnni', 'avx2', 'fma'];

/** The first value of `key` in /proc/cpuinfo text (`key : value` lines). */
function field(cpuinfo: string, key: string): string | undefined {
  const m = cpuinfo.match(new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm'));
  return m?.[1]?.trim();
}

/**
 * Describes a host from /proc/cpuinfo's text (empty where there is none) and the OS's facts;
 * `hostInfo` reads this machine's.
 */
export function describeHost(cpuinfo: string, facts: { cpuName: string; cpus: number; memoryBytes: number; platform: string; arch: string; node: string; onnxruntime: string }): HostInfo {
  const flags = new Set((field(cpuinfo, 'flags') ?? '').split(/\s+/).filter(Boolean));
  const isa = ISA_FLAGS.filter((f) => flags.has(f));
  const num = (key: string) => {
    const v = field(cpuinfo, key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const mhzText = field(cpuinfo, 'cpu MHz');
  const mhz = mhzText !== undefined ? Number(mhzText) : undefined;
  const kernels = flags.has('avx512f') ? 'avx512' : flags.has('avx2') && flags.has('fma') ? 'avx2' : facts.arch === 'arm64' ? 'neon' : 'other';
  return {
    cpu: field(cpuinfo, 'model name') ?? facts.cpuName,
    ...(num('cpu family') !== undefined ? { cpuFamily: num('cpu family') } : {}),
    ...(num('model') !== undefined ? { cpuModel: num('model') } : {}),
    ...(mhz !== undefined && Number.isFinite(mhz) ? { cpuMHz: Math.round(mhz) } : {}),
    isa,
    kernels,
    cpus: facts.cpus,
    memoryGiB: Math.round((facts.memoryBytes / 2 ** 30) * 10) / 10,
    platform: facts.platform,
    arch: facts.arch,
    node: facts.node,
    onnxruntime: facts.onnxruntime,
  };
}

/** One line for reports: "AMD EPYC (family 23, model 1), AVX2 kernels, 2 CPUs". */
export function hostLabel(h: { cpu: string; kernels: string; cpus: number; cpuFamily?: number; cpuModel?: number }): string {
  const id = h.cpuFamily !== undefined && h.cpuModel !== undefined ? ` (family ${h.cpuFamily}, model ${h.cpuModel})` : '';
  const kernels = ({ avx512: 'AVX-512', avx2: 'AVX2', neon: 'NEON', other: 'generic' } as Record<string, string>)[h.kernels] ?? h.kernels;
  return `${h.cpu}${id}, ${kernels} kernels, ${h.cpus} CPU${h.cpus === 1 ? '' : 's'}`;
}

let cached: HostInfo | undefined;

/** This machine (read once per process). */
export function hostInfo(): HostInfo {
  if (cached) return cached;
  let cpuinfo = '';
  try {
    if (process.platform === 'linux') cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // No /proc (a container without it): the OS's CPU name alone.
  }
  const versions = (ort.env as { versions?: { node?: string; common?: string } }).versions;
  cached = describeHost(cpuinfo, {
    cpuName: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    platform: process.platform,
    arch: process.arch,
    node: process.version,
    onnxruntime: versions?.node ?? versions?.common ?? 'unknown',
  });
  return cached;
}
