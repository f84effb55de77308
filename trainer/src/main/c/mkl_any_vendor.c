/*
 * MKL, linked into libtorch, picks its kernels by CPU vendor before CPU features: on a processor
 * that is not "GenuineIntel" it runs a generic code path, about half the float32 throughput of the
 * AVX-512/AVX2 kernels the processor supports (measured on AMD EPYC: trainer/README.md). MKL asks
 * these two functions; answering "Intel" makes it choose by the CPU's features alone, which it
 * still reads (a CPU without AVX-512 gets AVX2 kernels). Both are needed: the first alone selects
 * the SSE2 path. Loaded with RTLD_GLOBAL before libtorch by dev.rlhf.trainer.model.MklDispatch,
 * so libtorch's calls resolve here.
 */
int mkl_serv_intel_cpu(void) { return 1; }
int mkl_serv_intel_cpu_true(void) { return 1; }
