/* The per-pixel loops of the C files in models/runtime, compiled twice on x86-64 Linux with GCC: for the
 * baseline (SSE2) and for x86-64-v3 (AVX2, FMA: every x86 server and desktop since 2013-2015), the
 * loader picking the one the CPU runs (GCC's target_clones, an ifunc). With SSE2 alone the
 * compiler's vector code converts floats to 8- and 16-bit integers element by element: the
 * temporal denoiser's blend took 8.5 ms a 720p frame on one core against 1.8 ms with AVX2. */
#ifndef STREAMER_SIMD_H
#define STREAMER_SIMD_H
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif
/* For the helpers of a VECTOR_CLONES function: inlined into each clone, so compiled for its CPU too (a
 * helper the compiler kept out of line was built for the baseline alone: the denoiser's blend ran at
 * SSE2 speed, 4 ms a 720p frame against 1.5). */
#if defined(__GNUC__)
#define VECTOR_INLINE static inline __attribute__((always_inline))
#else
#define VECTOR_INLINE static inline
#endif
#endif
