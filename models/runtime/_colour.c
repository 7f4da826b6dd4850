/* Colour from the input (models/runtime/colour.py), one fused loop per frame after the input's
 * box average: each pixel of the network's output keeps its linear-light luminance and takes, by a
 * share that rises with the averaged input's luminance, the averaged input's channel ratios.
 *
 * run(out, source, newest, to_linear, to_srgb, dst, pixels, floor, full, strength, most_gain, most_lift, knee,
 *     ceiling, bend, spread, spread_from)
 *   out       uint8 (pixels * 3): the network's output, RGB
 *   source    float32 (pixels * 3): the input frame in linear light, box-averaged
 *   newest    uint8 (pixels * 3): the input frame itself, RGB
 *   to_linear float32 (256): sRGB level -> linear light
 *   to_srgb   uint8 (65536): linear light * 65535, rounded -> sRGB level
 *   dst       uint8 (pixels * 3): the result (written; may not alias out)
 *   floor, full, strength: the share is 0 at or below floor (linear luminance of the average, or
 *   spread times its channels' spread beyond spread_from, whichever is more), strength at or above
 *   full; most_gain: the output's luminance is at most most_gain times the average's plus a tenth of
 *   a level (black in, black out), and at most most_lift times the brighter of the average's and the
 *   pixel's own input luminance (a place lifted no more than the frame allows, a small light not
 *   dimmed); where the input's colour would take a channel past white, less of it is taken (no new
 *   white); knee, ceiling (linear light): the largest channel above the knee is bent towards the
 *   ceiling, where the network's output is not white, by the share bend (0..1); spread, spread_from
 *   (linear light): the colour's evidence, above
 *
 * In numpy the same arithmetic took about 11 ms a 640x360 frame (a dozen passes through memory);
 * here it is one. Plain C on the buffer protocol, float32, the GIL released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static inline float max3(float a, float b, float c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }
static inline float min3(float a, float b, float c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

static void run(const uint8_t *out, const float *source, const uint8_t *newest, const float *to_linear,
                const uint8_t *to_srgb, uint8_t *dst, Py_ssize_t pixels, float floor, float full, float strength,
                float most_gain, float most_lift, float knee, float ceiling, float bend, float spread, float spread_from) {
    const float slope = strength / (full - floor);
    const float black = 0.1f / 255.0f / 12.92f; /* a tenth of a level above black, linear */
    const float white = to_linear[254];         /* the brightest level short of white */
    for (Py_ssize_t p = 0; p < pixels; p++) {
        const uint8_t *o = out + 3 * p;
        const float *s = source + 3 * p;
        const float sy = 0.2126f * s[0] + 0.7152f * s[1] + 0.0722f * s[2];
        float r = to_linear[o[0]], g = to_linear[o[1]], b = to_linear[o[2]];
        float y = 0.2126f * r + 0.7152f * g + 0.0722f * b;
        const uint8_t *n = newest + 3 * p;
        const float own_y = 0.2126f * to_linear[n[0]] + 0.7152f * to_linear[n[1]] + 0.0722f * to_linear[n[2]];
        const float by_frame = most_lift * (own_y > sy ? own_y : sy), by_input = most_gain * sy;
        const float most = (by_frame < by_input ? by_frame : by_input) + black;
        if (y > most) { /* y > 0 here */
            const float k = most / y;
            r *= k, g *= k, b *= k, y = most;
        }
        /* the evidence of colour: the average's luminance, or its channels' spread beyond spread_from
         * (times spread), whichever is more: a clear dark colour is the scene's, not noise */
        const float smax = max3(s[0], s[1], s[2]);
        const float smin = min3(s[0], s[1], s[2]);
        const float ev = spread * (smax - smin - spread_from);
        float share = ((ev > sy ? ev : sy) - floor) * slope;
        share = share < 0.0f ? 0.0f : share > strength ? strength : share;
        const float scale = y / (sy > 1e-6f ? sy : 1e-6f);
        const float own[3] = {r, g, b};
        float mixed[3] = {r + share * (s[0] * scale - r), g + share * (s[1] * scale - g),
                          b + share * (s[2] * scale - b)};
        /* The input's colour at the network's luminance may need a channel past white (a saturated
         * blue lamp): there the share is lowered until the largest channel is at the network's own
         * largest or at 254 levels, whichever is higher (luminance kept: a white the input did not
         * have is not made). */
        const float own_max = max3(r, g, b);
        const float cap = own_max > white ? own_max : white;
        float t = 1.0f;
        for (int c = 0; c < 3; c++) {
            if (mixed[c] > cap) {
                const float tc = (cap - own[c]) / (mixed[c] - own[c]);
                t = tc < t ? tc : t;
            }
        }
        if (t < 1.0f) {
            for (int c = 0; c < 3; c++) mixed[c] = own[c] + t * (mixed[c] - own[c]);
        }
        /* Headroom for the encoder: a largest channel above the knee is bent towards the ceiling (all
         * three scaled alike, the hue kept), unless the network's own output is white there (a lamp
         * the input had white). */
        if (own_max < 1.0f) {
            const float m = max3(mixed[0], mixed[1], mixed[2]);
            if (m > knee) {
                const float over = m - knee;
                const float k = 1.0f + bend * ((knee + over / (1.0f + over / (ceiling - knee))) / m - 1.0f);
                for (int c = 0; c < 3; c++) mixed[c] *= k;
            }
        }
        for (int c = 0; c < 3; c++) {
            const float v = mixed[c] < 0.0f ? 0.0f : mixed[c] > 1.0f ? 1.0f : mixed[c];
            dst[3 * p + c] = to_srgb[(int32_t)(v * 65535.0f + 0.5f)];
        }
    }
}

static PyObject *py_run(PyObject *self, PyObject *args) {
    Py_buffer out, source, newest, to_linear, to_srgb, dst;
    Py_ssize_t pixels;
    float floor, full, strength, most_gain, most_lift, knee, ceiling, bend, spread, spread_from;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*w*nffffffffff", &out, &source, &newest, &to_linear, &to_srgb, &dst, &pixels,
                          &floor, &full, &strength, &most_gain, &most_lift, &knee, &ceiling, &bend, &spread, &spread_from))
        return NULL;
    PyObject *result = NULL;
    if (pixels < 0 || !(full > floor) || !(strength >= 0.0f && strength <= 1.0f) || !(most_gain > 0.0f) || !(most_lift > 0.0f)
        || !(knee > 0.0f && knee < ceiling && ceiling <= 1.0f) || !(bend >= 0.0f && bend <= 1.0f)) {
        PyErr_SetString(PyExc_ValueError, "run: needs pixels >= 0, full > floor, 0 <= strength <= 1, most_gain > 0, most_lift > 0, "
                                          "0 < knee < ceiling <= 1, 0 <= bend <= 1");
    } else if (out.len != 3 * pixels || dst.len != 3 * pixels || newest.len != 3 * pixels || source.len != (Py_ssize_t)sizeof(float) * 3 * pixels
               || to_linear.len != (Py_ssize_t)sizeof(float) * 256 || to_srgb.len != 65536) {
        PyErr_SetString(PyExc_ValueError,
                        "run: out, newest and dst must hold pixels * 3 uint8, source pixels * 3 float32, the tables 256 "
                        "float32 and 65536 uint8");
    } else {
        Py_BEGIN_ALLOW_THREADS
        run((const uint8_t *)out.buf, (const float *)source.buf, (const uint8_t *)newest.buf,
            (const float *)to_linear.buf, (const uint8_t *)to_srgb.buf, (uint8_t *)dst.buf, pixels, floor, full,
            strength, most_gain, most_lift, knee, ceiling, bend, spread, spread_from);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&out);
    PyBuffer_Release(&source);
    PyBuffer_Release(&newest);
    PyBuffer_Release(&to_linear);
    PyBuffer_Release(&to_srgb);
    PyBuffer_Release(&dst);
    return result;
}

static PyMethodDef methods[] = {
    {"run", py_run, METH_VARARGS, "A network's output with the averaged input's colour (see models/runtime/_colour.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_colour", NULL, -1, methods};

PyMODINIT_FUNC PyInit__colour(void) { return PyModule_Create(&module); }
