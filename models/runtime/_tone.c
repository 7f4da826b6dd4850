/* The colour-true curve rule of models/nets/tone.py, one fused pass per frame (the CPU fast path).
 *
 * apply(x, xb, maps, out, strength, floor4, smooth2, curve_toe, iterations, noise4, box, keep, exposure,
 *       shoulder, lift_from, lift_full, spread4, spread_from)
 *   x      uint8  (N * 3): the frame, RGB, C order
 *   xb     uint16 (N * 3): the frame's sums over a box of pixels (5x5: at most 6375, exact)
 *   maps   float32 (N * 2): per pixel the curve parameter, already scaled by the exposure strength, and
 *          a gain multiplied onto the result (temporal smoothing's; 1 for none), at most as far as takes
 *          the pixel's brightest channel to 254 (the gain never clips what the rule left below white)
 *   out    uint8  (N * 3): the enhanced frame (written)
 *   strength, floor4, smooth2: as in models/runtime/tone.py; curve_toe: CURVE_TOE in levels (the max
 *   channel below which the curve's gain fades to none at black; 0 for no toe); iterations: how often the curve runs;
 *   noise4: LUMA_NOISE (levels) to the 4th power, 0 for no luma smoothing; box: 1 / the box's pixels
 *   keep   the curve's share (1 - EXPOSURE_MIX); exposure: step 5's gain in linear light (exposure_gain);
 *   shoulder  where step 5's shoulder starts at a large gain (SHOULDER; 1 at a gain of 1)
 *   lift_from, lift_full  where step 5's toe starts to bend, and is fully bent (LIFT)
 *   spread4   CHROMA_SPREAD to the 4th power: how much the box's colour (its brightest channel minus
 *          its darkest, less spread_from) counts with the luma against the chroma floor (0: the luma alone)
 *   spread_from  CHROMA_SPREAD_FROM in levels: a spread up to this much is no evidence of colour
 *
 * Plain C on the buffer protocol (no numpy headers), float32 arithmetic as the torch rule (the curve
 * through a table of its gains, below), the GIL released while it runs. Built with the package (pyproject.toml's ext-modules).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_simd.h"

static const float WR = 0.299f, WG = 0.587f, WB = 0.114f;

/* The curve's gain y / v after `iterations` steps, per curve parameter (BINS + 1 values over [-1, 1],
 * interpolated linearly between them) and per max-channel level v (256): one lookup instead of the
 * iterations' chain, which kept the loop from being fast (15.6 against 9.2 ms a 720p frame on one
 * core; the outputs differ by at most one level). Built once, under the GIL, before the first frame. */
#define BINS 2048
static float gains[BINS + 2][256]; /* the last row repeats the one before: no bounds test in the loop */
static int gains_iterations = -1;
static float gains_toe = -1.0f;

/* With the curve's toe (curve_toe levels, 0 for none): the gain g becomes 1 + t (g - 1), t = v / toe
 * up to 1 (none at black, all of it from the toe up). */
static void build_gains(int iterations, float curve_toe) {
    for (int k = 0; k <= BINS; k++) {
        const float a = -1.0f + 2.0f * (float)k / BINS;
        for (int level = 0; level < 256; level++) {
            const float v = level / 255.0f;
            float y = v;
            for (int i = 0; i < iterations; i++) y = y + a * y * (1.0f - y);
            const float g = y / (v > 1.0f / 255.0f ? v : 1.0f / 255.0f);
            const float t = curve_toe > 0.0f && (float)level < curve_toe ? (float)level / curve_toe : 1.0f;
            gains[k][level] = 1.0f + t * (g - 1.0f);
        }
    }
    for (int level = 0; level < 256; level++) gains[BINS + 1][level] = gains[BINS][level];
    gains_iterations = iterations;
    gains_toe = curve_toe;
}

/* Step 5's exposure curve of a value v in [0, 1] (models/runtime/tone.py: exposure_curve): above the
 * sRGB toe (v > 0.04045, 10 levels) the gain in linear light, a straight line in sRGB values, root *
 * (v + 0.055) - 0.055 with root = gain ** (1 / 2.4); in the toe, from black to the same value at the
 * knee, a straight line up to lift_from, bent towards a square root (by lift = 1 - 1 / gain) from
 * lift_full on, a ramp between; above the shoulder's knee (shoulder_start: 1 at a gain of 1) the rest
 * of the way to white approached, never reached. Arithmetic, one vector square root and selects: the
 * loop stays vectorized. */
VECTOR_INLINE float exposed(float v, const float *step5) {
    const float root = step5[0], toe_slope = step5[1], knee = step5[2], per_room = step5[3], lift = step5[4];
    const float lift_from = step5[5], per_lift_span = step5[6];
    const float above = root * (v + 0.055f) - 0.055f;
    const float u = v * (1.0f / 0.04045f);
    float ramp = (v - lift_from) * per_lift_span;
    ramp = ramp < 0.0f ? 0.0f : (ramp > 1.0f ? 1.0f : ramp);
    const float toe = toe_slope * 0.04045f * (u + lift * ramp * (__builtin_sqrtf(u) - u));
    float out = v <= 0.04045f ? toe : above;
    out = out < 0.0f ? 0.0f : out;
    const float over = out - knee;
    return over > 0.0f ? knee + over / (1.0f + over * per_room) : out;
}

/* Pixels a chunk: their gains live on the stack between the two loops. */
#define CHUNK 512

/* Two loops a chunk, which the compiler vectorizes (AVX2: _simd.h): each pixel's gain from the table
 * (a gather), then the rule's arithmetic. As one loop it was not vectorized: 14 ms a 720p frame
 * on one core. */
VECTOR_CLONES
static void run(const uint8_t *restrict x, const uint16_t *restrict xb, const float *restrict maps, uint8_t *restrict out, Py_ssize_t n,
                float strength, float floor4, float smooth2, float noise4, float box, float keep,
                float exposure, float shoulder, float lift_from, float lift_full, float spread4, float spread_from) {
    float gain_of[CHUNK], smooth_of[CHUNK];
    const float share = (1.0f - keep) * 255.0f, root = __builtin_powf(exposure, 1.0f / 2.4f);
    /* the shoulder's knee (shoulder_start) and 1 / the room above it */
    const float knee = exposure > 1.0f ? 1.0f - (1.0f - shoulder) * (1.0f - 1.0f / exposure) : 1.0f;
    const float step5[7] = {
        root, (root * (0.04045f + 0.055f) - 0.055f) / 0.04045f, knee,
        1.0f / (1.0f - knee > 1e-6f ? 1.0f - knee : 1e-6f), exposure > 1.0f ? 1.0f - 1.0f / exposure : 0.0f,
        lift_from, 1.0f / (lift_full - lift_from),
    };
    for (Py_ssize_t start = 0; start < n; start += CHUNK) {
        const Py_ssize_t count = n - start < CHUNK ? n - start : CHUNK;
        const uint8_t *xs = x + 3 * start;
        const float *ms = maps + 2 * start;
        for (Py_ssize_t q = 0; q < count; q++) {
            const int r = xs[3 * q], g = xs[3 * q + 1], b = xs[3 * q + 2];
            const int rg = r > g ? r : g;
            const int level = rg > b ? rg : b;
            float fk = (ms[2 * q] + 1.0f) * (BINS / 2.0f);
            fk = fk < 0.0f ? 0.0f : (fk > (float)BINS ? (float)BINS : fk);
            const int k = (int)fk;
            const float g0 = gains[k][level], g1 = gains[k + 1][level];
            gain_of[q] = keep * (g0 + (fk - (float)k) * (g1 - g0));
            smooth_of[q] = ms[2 * q + 1];
        }
        const uint16_t *xbs = xb + 3 * start;
        uint8_t *os = out + 3 * start;
        for (Py_ssize_t q = 0; q < count; q++) {
            const float gain = gain_of[q];
            const float r = xs[3 * q], g = xs[3 * q + 1], b = xs[3 * q + 2];
            const float lum = WR * r + WG * g + WB * b;
            const float lum2 = lum * lum, lum4 = lum2 * lum2;
            const float rb = xbs[3 * q] * box, gb = xbs[3 * q + 1] * box, bb = xbs[3 * q + 2] * box;
            const float lumb = WR * rb + WG * gb + WB * bb;
            const float d = lum - lumb, d2 = d * d;
            /* (noise4 0: no smoothing; the tiny term keeps 0 / 0 away without a branch) */
            const float lum_smooth = lum - strength * noise4 / (noise4 + d2 * d2 + 1e-30f) * d;
            const float w = strength * smooth2 / (lum2 + smooth2);
            /* the evidence of colour against the floor: the luma, and the box's spread of channels
             * (a colour that the 5x5 average keeps is the scene's, not the noise's) */
            const float hi = rb > gb ? (rb > bb ? rb : bb) : (gb > bb ? gb : bb);
            const float lo = rb < gb ? (rb < bb ? rb : bb) : (gb < bb ? gb : bb);
            const float sp = hi - lo > spread_from ? hi - lo - spread_from : 0.0f, sp2 = sp * sp;
            const float ev4 = lum4 + spread4 * sp2 * sp2;
            const float c = 1.0f - strength * (1.0f - ev4 / (ev4 + floor4));
            const float cr = c * ((r - lum) + w * ((rb - lumb) - (r - lum)));
            const float cg = c * ((g - lum) + w * ((gb - lumb) - (g - lum)));
            const float cb = c * ((b - lum) + w * ((bb - lumb) - (b - lum)));
            float s0 = lum_smooth + cr, s1 = lum_smooth + cg, s2 = lum_smooth + cb;
            s0 = s0 < 0.0f ? 0.0f : (s0 > 255.0f ? 255.0f : s0);
            s1 = s1 < 0.0f ? 0.0f : (s1 > 255.0f ? 255.0f : s1);
            s2 = s2 < 0.0f ? 0.0f : (s2 > 255.0f ? 255.0f : s2);
            /* Step 5: the exposure gain's share, channel by channel. */
            const float p0 = gain * s0 + share * exposed(s0 * (1.0f / 255.0f), step5);
            const float p1 = gain * s1 + share * exposed(s1 * (1.0f / 255.0f), step5);
            const float p2 = gain * s2 + share * exposed(s2 * (1.0f / 255.0f), step5);
            /* The smoothing gain, at most what takes the brightest channel to 254 (never below 1). */
            const float p01 = p0 > p1 ? p0 : p1, top = p01 > p2 ? p01 : p2;
            float limit = 254.0f / (top > 1e-3f ? top : 1e-3f);
            limit = limit > 1.0f ? limit : 1.0f;
            const float smoothing = smooth_of[q] < limit ? smooth_of[q] : limit;
            float o0 = smoothing * p0 + 0.5f;
            float o1 = smoothing * p1 + 0.5f;
            float o2 = smoothing * p2 + 0.5f;
            o0 = o0 > 255.0f ? 255.0f : o0;
            o1 = o1 > 255.0f ? 255.0f : o1;
            o2 = o2 > 255.0f ? 255.0f : o2;
            os[3 * q] = (uint8_t)(int)o0;
            os[3 * q + 1] = (uint8_t)(int)o1;
            os[3 * q + 2] = (uint8_t)(int)o2;
        }
    }
}

static PyObject *apply(PyObject *self, PyObject *args) {
    Py_buffer x, xb, maps, out;
    float strength, floor4, smooth2, noise4, box, keep, exposure, shoulder, lift_from, lift_full, curve_toe, spread4, spread_from;
    int iterations;
    if (!PyArg_ParseTuple(args, "y*y*y*w*ffffifffffffff", &x, &xb, &maps, &out, &strength, &floor4, &smooth2,
                          &curve_toe, &iterations, &noise4, &box, &keep, &exposure, &shoulder, &lift_from, &lift_full, &spread4, &spread_from))
        return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = maps.len / (Py_ssize_t)(2 * sizeof(float));
    if (maps.len != n * (Py_ssize_t)(2 * sizeof(float)) || x.len != 3 * n || xb.len != 3 * n * (Py_ssize_t)sizeof(uint16_t)
        || out.len != 3 * n) {
        PyErr_SetString(PyExc_ValueError, "apply: x, xb and out must hold 3 values for each pair of maps");
    } else {
        if (gains_iterations != iterations || gains_toe != curve_toe) build_gains(iterations, curve_toe);
        Py_BEGIN_ALLOW_THREADS
        run((const uint8_t *)x.buf, (const uint16_t *)xb.buf, (const float *)maps.buf, (uint8_t *)out.buf, n,
            strength, floor4, smooth2, noise4, box, keep, exposure, shoulder, lift_from, lift_full, spread4, spread_from);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&xb);
    PyBuffer_Release(&maps);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"apply", apply, METH_VARARGS, "The colour-true curve rule over a frame (see models/runtime/_tone.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tone", NULL, -1, methods};

PyMODINIT_FUNC PyInit__tone(void) { return PyModule_Create(&module); }
