import { describe, expect, it } from 'vitest';
import { describeHost, hostInfo } from './host.js';

const facts = { cpuName: 'os name', cpus: 2, memoryBytes: 24 * 2 ** 30, platform: 'linux', arch: 'x64', node: 'v20.0.0', onnxruntime: '1.30.0' };
// Abridged /proc/cpuinfo of two hosts the lab ran on (one CPU shown; the first block is read).
const zen1 = `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 1\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 1999.999\nflags\t\t: fpu sse2 ssse3 fma sse4_2 avx avx2 bmi2\n\nprocessor\t: 1\ncpu family\t: 99\n`;
const zen5 = `processor\t: 0\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC 9B45\nflags\t\t: fpu avx fma avx2 avx512f avx512dq avx512_bf16 avx512_vnni avx_vnni\n`;

describe('describeHost', () => {
  it('reads an AVX2-only host: AVX2 kernels, family / model / clock of the first CPU', () => {
    expect(describeHost(zen1, facts)).toEqual({ cpu: 'AMD EPYC', cpuFamily: 23, cpuModel: 1, cpuMHz: 2000, isa: ['avx2', 'fma'], kernels: 'avx2', cpus: 2, memoryGiB: 24, platform: 'linux', arch: 'x64', node: 'v20.0.0', onnxruntime: '1.30.0' });
  });

  it('reads an AVX-512 host: AVX-512 kernels and the AVX-512 extensions it has', () => {
    const h = describeHost(zen5, facts);
    expect(h.kernels).toBe('avx512');
    expect(h.isa).toEqual(['avx512f', 'avx512_vnni', 'avx512_bf16', 'avx_vnni', 'avx2', 'fma']);
    expect([h.cpu, h.cpuFamily, h.cpuModel, h.cpuMHz]).toEqual(['AMD EPYC 9B45', 26, 2, undefined]);
  });

  it('falls back to the OS facts without /proc/cpuinfo, and needs FMA for the AVX2 kernels', () => {
    const arm = describeHost('', { ...facts, arch: 'arm64' });
    expect([arm.cpu, arm.kernels, arm.isa, 'cpuFamily' in arm]).toEqual(['os name', 'neon', [], false]);
    expect(describeHost('flags : avx avx2\n', facts).kernels).toBe('other');
  });

  it('describes this machine consistently with the OS', () => {
    const h = hostInfo();
    expect(h.cpus).toBeGreaterThan(0);
    expect(h.onnxruntime).toMatch(/^\d+\.\d+/);
    expect(h.node).toBe(process.version);
    expect(hostInfo()).toBe(h);
  });
});
