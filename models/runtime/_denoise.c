/* The temporal denoiser of models/runtime/temporal_denoise.py, one loop per frame: a recursive
 * average of the enhanced frames where the input did not change, the newest frame where it did,
 * with the average following the camera's motion (a shift of the frame, to a fraction of a pixel).
 *
 * run(luma, last_luma, out, average, new_average, dst, width, row_begin, row_end, dx, dy, threshold, strength)
 *   luma        float32 (N):     the input frame's luma, 3x3 box-averaged (input levels)
 *   last_luma   float32 (N):     the same of the previous input frame
 *   out         uint8   (N * 3): the enhanced frame, RGB
 *   average     uint16  (N * 3): the running average of the enhanced frames up to the last one, 256 x (read)
 *   new_average uint16  (N * 3): the running average with this frame (written; may not alias average)
 *   dst         uint8   (N * 3): the result (written; may alias out)
 *   width: pixels a row (N = width * height); row_begin, row_end: the rows this call does (bands on
 *   every core); dx, dy: the camera's motion since the last frame, in pixels (fractions too): what
 *   was at (x - dx, y - dy) is now at (x, y) (0, 0 for a fixed camera);
 *   threshold: the input luma change (levels) at and above which a pixel takes the newest frame alone;
 *   strength:  the weight of the average where the input did not change at all (0..1)
 *
 * Per pixel, with s = (x - dx, y - dy) and r = |luma - last_luma[s]| / threshold: w = strength * max(0, 1 - r^3)
 * (w = 0 where s lies outside the frame), each channel f = out + w * (average[s] - out), stored as the
 * new average and rounded into dst. last_luma[s] and average[s] are bilinear samples where the shift
 * has a fraction, the pixel itself where it is whole.
 * Plain C on the buffer protocol, float32, the GIL released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

#include "_simd.h"

/* Pixels a chunk: the weights of one chunk, three a pixel, and its source in the last frame (the
 * last luma and the average, sampled at the camera's shift) live on the stack between the loops. */
#define CHUNK 512

/* The taps of a bilinear sample at the camera's shift: a frame's source point is (x + bx + ax,
 * y + by + ay), whole (bx, by) and fraction (ax, ay in [0, 1)); the weights are those of the two
 * source rows (0, 1) and columns (0, 1); a zero fraction has no second tap (cx, the second column's
 * offset in pixels, 0), which keeps a whole-pixel shift exact. */
typedef struct {
    float w00, w01, w10, w11;
    Py_ssize_t cx;
    int fraction; /* the shift has a fraction: four taps; else the one source pixel */
} Taps;

/* The blend of n channel values: f = o + w (source - o), clamped, stored as the new average (256 x)
 * and rounded into the result; the source as floats (a bilinear sample) or as the average itself. */
#define BLEND_BODY(SOURCE)                                                 \
    for (Py_ssize_t i = 0; i < n; i++) {                                   \
        const float v = o[i];                                              \
        float f = v + w3[i] * ((SOURCE) - v);                              \
        f = f < 0.0f ? 0.0f : (f > 255.0f ? 255.0f : f);                   \
        na[i] = (uint16_t)(int)(f * 256.0f + 0.5f);                        \
        t[i] = (uint8_t)(int)(f + 0.5f);                                   \
    }

VECTOR_INLINE void blend(const uint8_t *restrict o, const float *restrict w3, const float *restrict src,
                         uint16_t *restrict na, uint8_t *restrict t, Py_ssize_t n) {
    BLEND_BODY(src[i])
}

VECTOR_INLINE void blend16(const uint8_t *restrict o, const float *restrict w3, const uint16_t *restrict a,
                           uint16_t *restrict na, uint8_t *restrict t, Py_ssize_t n) {
    BLEND_BODY(a[i] * (1.0f / 256.0f))
}

/* Plain loops a chunk, which the compiler vectorizes: the source of each pixel (bilinear, the same
 * four weights for the whole frame), the weight of each pixel (written three times, once a channel),
 * then the blend over the chunk's channel values as one flat run (an interleaved loop over pixels
 * and channels was not vectorized: 13 ms a 720p frame on one core).
 * count pixels; l, o, na, t point at the first of them, ll0, ll1 and a0, a1 at its source rows in the
 * last frame. */
VECTOR_INLINE void span(const float *restrict l, const float *restrict ll0, const float *restrict ll1,
                        const uint8_t *restrict o, const uint16_t *restrict a0, const uint16_t *restrict a1,
                        uint16_t *restrict na, uint8_t *restrict t, Py_ssize_t count, Taps k, float inv,
                        float strength) {
    const float s256 = 1.0f / 256.0f;
    const float w00 = k.w00, w01 = k.w01, w10 = k.w10, w11 = k.w11;
    const Py_ssize_t cx = k.cx, c3 = 3 * k.cx;
    float w3[3 * CHUNK], src[3 * CHUNK], lls[CHUNK];
    for (Py_ssize_t start = 0; start < count; start += CHUNK) {
        const Py_ssize_t n = count - start < CHUNK ? count - start : CHUNK;
        const float *p0 = ll0 + start, *p1 = ll1 + start, *lq = p0;
        if (k.fraction) {
            for (Py_ssize_t q = 0; q < n; q++)
                lls[q] = w00 * p0[q] + w01 * p0[q + cx] + w10 * p1[q] + w11 * p1[q + cx];
            lq = lls;
        }
        for (Py_ssize_t q = 0; q < n; q++) {
            float d = l[start + q] - lq[q];
            d = d < 0.0f ? -d : d;
            const float r = d * inv;
            float w = 1.0f - r * r * r;
            w = w > 0.0f ? strength * w : 0.0f;
            w3[3 * q] = w;
            w3[3 * q + 1] = w;
            w3[3 * q + 2] = w;
        }
        const Py_ssize_t at = 3 * start;
        const uint16_t *b0 = a0 + at, *b1 = a1 + at;
        if (k.fraction) {
            for (Py_ssize_t i = 0; i < 3 * n; i++)
                src[i] = (w00 * b0[i] + w01 * b0[i + c3] + w10 * b1[i] + w11 * b1[i + c3]) * s256;
            blend(o + at, w3, src, na + at, t + at, 3 * n);
        } else { /* a whole shift: the source pixel itself, without a pass to copy it (a fixed camera) */
            blend16(o + at, w3, b0, na + at, t + at, 3 * n);
        }
    }
}

/* Pixels with no source in the last frame: the newest frame alone, and the average starts there. */
VECTOR_INLINE void fresh(const uint8_t *restrict o, uint16_t *restrict na, uint8_t *restrict t, Py_ssize_t count) {
    for (Py_ssize_t i = 0; i < 3 * count; i++) {
        na[i] = (uint16_t)(o[i] << 8);
        t[i] = o[i];
    }
}

static Py_ssize_t clamp(Py_ssize_t v, Py_ssize_t lo, Py_ssize_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

VECTOR_CLONES
static void run(const float *luma, const float *last_luma, const uint8_t *out, const uint16_t *average,
                uint16_t *new_average, uint8_t *dst, Py_ssize_t width, Py_ssize_t height, Py_ssize_t row_begin,
                Py_ssize_t row_end, double dx, double dy, float threshold, float strength) {
    const float inv = 1.0f / threshold;
    /* the source point of (x, y) is (x - dx, y - dy) = (x + bx + ax, y + by + ay) */
    const Py_ssize_t bx = (Py_ssize_t)floor(-dx), by = (Py_ssize_t)floor(-dy);
    const float ax = (float)(-dx - (double)bx), ay = (float)(-dy - (double)by);
    const Py_ssize_t cx = ax > 0.0f ? 1 : 0, cy = ay > 0.0f ? 1 : 0;
    const Taps k = {(1.0f - ax) * (1.0f - ay), ax * (1.0f - ay), (1.0f - ax) * ay, ax * ay, cx, cx || cy};
    /* the columns whose source taps x + bx and x + bx + cx lie in the frame */
    const Py_ssize_t x_lo = clamp(-bx, 0, width), x_hi = clamp(width - bx - cx, 0, width);
    for (Py_ssize_t y = row_begin; y < row_end; y++) {
        const Py_ssize_t p = y * width, sy = y + by;
        if (sy < 0 || sy + cy >= height || x_hi <= x_lo) {
            fresh(out + 3 * p, new_average + 3 * p, dst + 3 * p, width);
            continue;
        }
        const Py_ssize_t s0 = sy * width + x_lo + bx, s1 = s0 + cy * width; /* the sources of pixel (x_lo, y) */
        fresh(out + 3 * p, new_average + 3 * p, dst + 3 * p, x_lo);
        span(luma + p + x_lo, last_luma + s0, last_luma + s1, out + 3 * (p + x_lo), average + 3 * s0,
             average + 3 * s1, new_average + 3 * (p + x_lo), dst + 3 * (p + x_lo), x_hi - x_lo, k, inv, strength);
        fresh(out + 3 * (p + x_hi), new_average + 3 * (p + x_hi), dst + 3 * (p + x_hi), width - x_hi);
    }
}

static PyObject *py_run(PyObject *self, PyObject *args) {
    Py_buffer luma, last_luma, out, average, new_average, dst;
    Py_ssize_t width, row_begin, row_end;
    double dx, dy;
    float threshold, strength;
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*w*nnnddff", &luma, &last_luma, &out, &average, &new_average, &dst, &width,
                          &row_begin, &row_end, &dx, &dy, &threshold, &strength))
        return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = luma.len / (Py_ssize_t)sizeof(float);
    const Py_ssize_t height = width > 0 ? n / width : 0;
    if (!(threshold > 0.0f) || !(strength >= 0.0f && strength < 1.0f)) {
        PyErr_SetString(PyExc_ValueError, "run: needs threshold > 0 and 0 <= strength < 1");
    } else if (width <= 0 || height * width != n || last_luma.len != luma.len || out.len != 3 * n || dst.len != 3 * n
               || average.len != 3 * n * (Py_ssize_t)sizeof(uint16_t) || new_average.len != average.len) {
        PyErr_SetString(PyExc_ValueError, "run: luma and last_luma must hold one float32 a pixel of width x height, "
                                          "out and dst three uint8, average and new_average three uint16");
    } else if (average.buf == new_average.buf) {
        PyErr_SetString(PyExc_ValueError, "run: new_average must be another buffer than average");
    } else if (!(fabs(dx) < (double)width && fabs(dy) < (double)height)) {
        /* (built with -ffinite-math-only: the caller's shift is finite, models/runtime/camera_motion.py) */
        PyErr_SetString(PyExc_ValueError, "run: the shift (dx, dy) must be smaller than the frame");
    } else if (row_begin < 0 || row_end > height || row_begin > row_end) {
        PyErr_SetString(PyExc_ValueError, "run: the rows [row_begin, row_end) must lie within the frame");
    } else {
        Py_BEGIN_ALLOW_THREADS
        run((const float *)luma.buf, (const float *)last_luma.buf, (const uint8_t *)out.buf,
            (const uint16_t *)average.buf, (uint16_t *)new_average.buf, (uint8_t *)dst.buf, width, height, row_begin,
            row_end, dx, dy, threshold, strength);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&luma);
    PyBuffer_Release(&last_luma);
    PyBuffer_Release(&out);
    PyBuffer_Release(&average);
    PyBuffer_Release(&new_average);
    PyBuffer_Release(&dst);
    return result;
}

static PyMethodDef methods[] = {
    {"run", py_run, METH_VARARGS, "One frame of the recursive temporal denoiser (see models/runtime/_denoise.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_denoise", NULL, -1, methods};

PyMODINIT_FUNC PyInit__denoise(void) { return PyModule_Create(&module); }
