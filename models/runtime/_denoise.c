/* The temporal denoiser of models/runtime/temporal_denoise.py, one loop per frame: a recursive
 * average of the enhanced frames where the input did not change, the newest frame where it did.
 *
 * run(luma, last_luma, out, average, dst, begin, end, threshold, strength)
 *   luma       float32 (N):     the input frame's luma, 3x3 box-averaged (input levels)
 *   last_luma  float32 (N):     the same of the previous input frame
 *   out        uint8   (N * 3): the enhanced frame, RGB
 *   average    uint16  (N * 3): the running average of the enhanced frames, 256 x (read, then updated)
 *   dst        uint8   (N * 3): the result (written; may alias out)
 *   begin, end: the pixels [begin, end) this call does (bands on every core)
 *   threshold: the input luma change (levels) at and above which a pixel takes the newest frame alone;
 *   strength:  the weight of the average where the input did not change at all (0..1)
 *
 * Per pixel: w = strength * max(0, 1 - |luma - last_luma| / threshold), each channel
 * f = out + w * (average - out), stored as the new average and rounded into dst.
 * Plain C on the buffer protocol, float32, the GIL released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_simd.h"

/* Pixels a chunk: the weights of one chunk, three a pixel, live on the stack between the two loops. */
#define CHUNK 512

/* Two plain loops a chunk, which the compiler vectorizes: the weight of each pixel (written three
 * times, once a channel), then the blend over the chunk's channel values as one flat run (an
 * interleaved loop over pixels and channels was not vectorized: 13 ms a 720p frame on one core). */
VECTOR_CLONES
static void run(const float *luma, const float *last_luma, const uint8_t *out, uint16_t *average, uint8_t *dst,
                Py_ssize_t begin, Py_ssize_t end, float threshold, float strength) {
    const float inv = 1.0f / threshold, s256 = 1.0f / 256.0f;
    float w3[3 * CHUNK];
    for (Py_ssize_t start = begin; start < end; start += CHUNK) {
        const Py_ssize_t count = end - start < CHUNK ? end - start : CHUNK;
        for (Py_ssize_t q = 0; q < count; q++) {
            float d = luma[start + q] - last_luma[start + q];
            d = d < 0.0f ? -d : d;
            float w = 1.0f - d * inv;
            w = w > 0.0f ? strength * w : 0.0f;
            w3[3 * q] = w;
            w3[3 * q + 1] = w;
            w3[3 * q + 2] = w;
        }
        const uint8_t *o = out + 3 * start;
        uint16_t *a = average + 3 * start;
        uint8_t *t = dst + 3 * start;
        for (Py_ssize_t i = 0; i < 3 * count; i++) {
            const float v = o[i];
            float f = v + w3[i] * (a[i] * s256 - v);
            f = f < 0.0f ? 0.0f : (f > 255.0f ? 255.0f : f);
            a[i] = (uint16_t)(int)(f * 256.0f + 0.5f);
            t[i] = (uint8_t)(int)(f + 0.5f);
        }
    }
}

static PyObject *py_run(PyObject *self, PyObject *args) {
    Py_buffer luma, last_luma, out, average, dst;
    Py_ssize_t begin, end;
    float threshold, strength;
    if (!PyArg_ParseTuple(args, "y*y*y*w*w*nnff", &luma, &last_luma, &out, &average, &dst, &begin, &end, &threshold,
                          &strength))
        return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = luma.len / (Py_ssize_t)sizeof(float);
    if (!(threshold > 0.0f) || !(strength >= 0.0f && strength < 1.0f)) {
        PyErr_SetString(PyExc_ValueError, "run: needs threshold > 0 and 0 <= strength < 1");
    } else if (last_luma.len != luma.len || out.len != 3 * n || dst.len != 3 * n
               || average.len != 3 * n * (Py_ssize_t)sizeof(uint16_t)) {
        PyErr_SetString(PyExc_ValueError, "run: luma and last_luma must hold one float32 a pixel, out and dst three "
                                          "uint8, average three uint16");
    } else if (begin < 0 || end > n || begin > end) {
        PyErr_SetString(PyExc_ValueError, "run: the band [begin, end) must lie within the frame");
    } else {
        Py_BEGIN_ALLOW_THREADS
        run((const float *)luma.buf, (const float *)last_luma.buf, (const uint8_t *)out.buf, (uint16_t *)average.buf,
            (uint8_t *)dst.buf, begin, end, threshold, strength);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&luma);
    PyBuffer_Release(&last_luma);
    PyBuffer_Release(&out);
    PyBuffer_Release(&average);
    PyBuffer_Release(&dst);
    return result;
}

static PyMethodDef methods[] = {
    {"run", py_run, METH_VARARGS, "One frame of the recursive temporal denoiser (see models/runtime/_denoise.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_denoise", NULL, -1, methods};

PyMODINIT_FUNC PyInit__denoise(void) { return PyModule_Create(&module); }
