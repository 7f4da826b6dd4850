/* The deblocking filter of models/runtime/deblock.py, one pass over the block grid (the CPU path).
 *
 * run(inp, out, height, width, alpha3, beta3, phase, begin, end)
 *   inp    uint8 (H * W * 3): the input frame, RGB, C order (read only: the guide)
 *   out    uint8 (H * W * 3): the enhanced frame, deblocked in place
 *   alpha3, beta3: the thresholds of DeblockConfig times 3 (the guide is the sum of the channels)
 *   phase  0: the boundaries between rows, in columns begin..end-1; 1: the boundaries between
 *          columns, in rows begin..end-1 (threads run disjoint ranges of one phase at once: the
 *          GIL is released; every range of phase 0 must be done before phase 1 starts)
 *
 * Boundaries between rows first, then between columns (the second pass sees the first's result), as
 * deblock_reference in deblock.py, whose float32 results this reproduces exactly, in integers (the
 * ramp's shares are k/8). Plain C on the buffer
 * protocol, the GIL released while it runs. Built with the package (pyproject.toml's ext-modules).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

#include "_simd.h"

#define BLOCK 8
/* The ramp in eighths: out_k += step * SHARE[k] / 8, rounded down after adding a half (in integers:
 * (8 * out + step * SHARE[k] + 4) >> 3, the float32 formula's value exactly). */
static const int SHARE[6] = {1, 2, 3, -3, -2, -1};

VECTOR_INLINE int guide(const uint8_t *p) { return (int)p[0] + p[1] + p[2]; }

VECTOR_INLINE uint8_t ramp(int o, int step, int share) {
    /* (in 16 bits: |8 * o + step * share + 4| < 2^15, so the compiler's vectors hold 16 bytes' worth) */
    int16_t t = (int16_t)(8 * o + step * share + 4);
    t = t < 0 ? 0 : (int16_t)(t >> 3);
    return (uint8_t)(t > 255 ? 255 : t);
}

/* Whether the input's six levels p2 p1 p0 | q0 q1 q2 around a boundary are a codec step: a small step
 * across it, flat on both sides (1 or 0; no branches, so it vectorizes in rows()). */
VECTOR_INLINE int codec_step(int p2, int p1, int p0, int q0, int q1, int q2, int alpha3, int beta3) {
    return (abs(q0 - p0) <= alpha3) & (abs(p1 - p2) <= beta3) & (abs(p0 - p1) <= beta3) & (abs(q1 - q0) <= beta3) &
           (abs(q2 - q1) <= beta3);
}

/* One boundary: six pixels at p, p + stride, ..., q0 = p + 3 * stride (stride in bytes). */
static inline void edge(const uint8_t *in, uint8_t *out, Py_ssize_t stride, int alpha3, int beta3) {
    int g[6];
    for (int k = 0; k < 6; k++) g[k] = guide(in + k * stride);
    if (!codec_step(g[0], g[1], g[2], g[3], g[4], g[5], alpha3, beta3)) return;
    for (int c = 0; c < 3; c++) {
        const int step = (int)out[3 * stride + c] - (int)out[2 * stride + c];
        if (step == 0) continue;
        int o[6];
        for (int k = 0; k < 6; k++) o[k] = out[k * stride + c];
        for (int k = 0; k < 6; k++) out[k * stride + c] = ramp(o[k], step, SHARE[k]);
    }
}

/* Pixels a chunk: their codec-step flags, three a pixel, live on the stack between the two loops. */
#define CHUNK 512

/* The ramp over n bytes of the six rows around a boundary, where codec (one flag a byte) says so. */
VECTOR_INLINE void ramp_rows(const uint8_t *restrict codec, uint8_t *restrict o0, uint8_t *restrict o1,
                             uint8_t *restrict o2, uint8_t *restrict o3, uint8_t *restrict o4, uint8_t *restrict o5,
                             Py_ssize_t n) {
    for (Py_ssize_t j = 0; j < n; j++) {
        const int16_t step = (int16_t)(codec[j] ? (int16_t)o3[j] - (int16_t)o2[j] : 0);
        o0[j] = ramp(o0[j], step, SHARE[0]);
        o1[j] = ramp(o1[j], step, SHARE[1]);
        o2[j] = ramp(o2[j], step, SHARE[2]);
        o3[j] = ramp(o3[j], step, SHARE[3]);
        o4[j] = ramp(o4[j], step, SHARE[4]);
        o5[j] = ramp(o5[j], step, SHARE[5]);
    }
}

/* Boundaries between rows: the six rows around q0, in two loops a chunk that the compiler vectorizes
 * (branch-free; AVX2 where the CPU has it, _simd.h): which pixels are a codec step, then the ramp over
 * every byte of the six rows (16-bit arithmetic). As one loop with the test inside it was not vectorized:
 * 2.1 ms a 720p night frame on one core, now 1.0 ms. */
VECTOR_INLINE void rows(const uint8_t *in, uint8_t *out, Py_ssize_t q0, Py_ssize_t w, int alpha3, int beta3, Py_ssize_t x0,
                 Py_ssize_t x1) {
    const Py_ssize_t row = 3 * w;
    const uint8_t *restrict i0 = in + (q0 - 3) * row, *restrict i1 = i0 + row, *restrict i2 = i1 + row;
    const uint8_t *restrict i3 = i2 + row, *restrict i4 = i3 + row, *restrict i5 = i4 + row;
    uint8_t *o0 = out + (q0 - 3) * row, *o1 = o0 + row, *o2 = o1 + row, *o3 = o2 + row, *o4 = o3 + row, *o5 = o4 + row;
    uint8_t codec3[3 * CHUNK];
    for (Py_ssize_t start = x0; start < x1; start += CHUNK) {
        const Py_ssize_t count = x1 - start < CHUNK ? x1 - start : CHUNK;
        for (Py_ssize_t q = 0; q < count; q++) {
            const Py_ssize_t at = 3 * (start + q);
            const int codec = codec_step(guide(i0 + at), guide(i1 + at), guide(i2 + at), guide(i3 + at),
                                         guide(i4 + at), guide(i5 + at), alpha3, beta3);
            codec3[3 * q] = codec;
            codec3[3 * q + 1] = codec;
            codec3[3 * q + 2] = codec;
        }
        const Py_ssize_t at = 3 * start;
        ramp_rows(codec3, o0 + at, o1 + at, o2 + at, o3 + at, o4 + at, o5 + at, 3 * count);
    }
}

VECTOR_CLONES
static void run(const uint8_t *in, uint8_t *out, Py_ssize_t h, Py_ssize_t w, int alpha3, int beta3, int phase,
                Py_ssize_t begin, Py_ssize_t end) {
    const Py_ssize_t row = 3 * w;
    if (phase == 0) {
        for (Py_ssize_t q0 = BLOCK; q0 + 2 < h; q0 += BLOCK) rows(in, out, q0, w, alpha3, beta3, begin, end);
        return;
    }
    for (Py_ssize_t y = begin; y < end; y++)
        for (Py_ssize_t q0 = BLOCK; q0 + 2 < w; q0 += BLOCK) {
            const Py_ssize_t at = y * row + 3 * (q0 - 3);
            edge(in + at, out + at, 3, alpha3, beta3);
        }
}

static PyObject *py_run(PyObject *self, PyObject *args) {
    Py_buffer in, out;
    Py_ssize_t h, w, begin, end;
    int alpha3, beta3, phase;
    if (!PyArg_ParseTuple(args, "y*w*nniiinn", &in, &out, &h, &w, &alpha3, &beta3, &phase, &begin, &end)) return NULL;
    PyObject *result = NULL;
    if (h < 0 || w < 0 || in.len != 3 * h * w || out.len != 3 * h * w) {
        PyErr_SetString(PyExc_ValueError, "run: inp and out must hold height * width * 3 values");
    } else if ((phase != 0 && phase != 1) || begin < 0 || end < begin || end > (phase == 0 ? w : h)) {
        PyErr_SetString(PyExc_ValueError, "run: phase 0 takes columns, phase 1 rows, 0 <= begin <= end <= their count");
    } else {
        Py_BEGIN_ALLOW_THREADS
        run((const uint8_t *)in.buf, (uint8_t *)out.buf, h, w, alpha3, beta3, phase, begin, end);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"run", py_run, METH_VARARGS, "Deblock an enhanced frame in place, guided by its input (see models/runtime/_deblock.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_deblock", NULL, -1, methods};

PyMODINIT_FUNC PyInit__deblock(void) { return PyModule_Create(&module); }
