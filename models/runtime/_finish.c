/* The burst network's finish (models/nets/burst.py: BurstNet.finish) after the streaming decoder
 * graph, one fused loop over the frame (the CPU streaming path, models/runtime/burst_finish.py).
 *
 * run(prediction, frame, out, height, width, h1, w1, shoulder, strength, begin, end)
 *   prediction float32 (12 * h1 * w1): the decoder's output before the pixel shuffle, C order
 *   frame      uint8 (height * width * 3): the newest frame, RGB
 *   out        uint8 (height * width * 3): the enhanced frame (written for rows begin..end-1)
 *   shoulder   BURST_SHOULDER; strength: the frame's exposure strength (models.runtime.tone.burst_strength)
 *
 *   y = prediction[4c + 2(i % 2) + (j % 2)][i / 2][j / 2]      (pixel shuffle by 2, cropped)
 *   y = y > s ? s + o / (1 + o / (1 - s)) : y, o = y - s       (unless the frame's channel is 255)
 *   out = round(clamp(x + strength * (y - x), 0, 1) * 255),   x = frame / 255
 *
 * As about twenty element-wise ONNX passes the same took 6 of the decoder graph's 18 ms a 640x360
 * frame on 2 cores. Plain C on the buffer protocol, float32 as the graph computes it, the GIL
 * released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_simd.h"

VECTOR_INLINE float finish_one(float y, int level, float shoulder, float inv_room, float strength) {
    const float over = y - shoulder;
    const float bent = over > 0.0f ? shoulder + over / (1.0f + over * inv_room) : y;
    const float v = level == 255 ? y : bent;
    const float x = (float)level * (1.0f / 255.0f);
    float r = x + strength * (v - x);
    r = r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r);
    return r * 255.0f + 0.5f;
}

VECTOR_CLONES
static void run(const float *prediction, const uint8_t *frame, uint8_t *out, Py_ssize_t width, Py_ssize_t h1,
                Py_ssize_t w1, float shoulder, float strength, Py_ssize_t begin, Py_ssize_t end) {
    const float inv_room = 1.0f / (1.0f - shoulder);
    const Py_ssize_t plane = h1 * w1, pairs = width / 2;
    for (Py_ssize_t i = begin; i < end; i++) {
        const uint8_t *x = frame + 3 * width * i;
        uint8_t *o = out + 3 * width * i;
        for (Py_ssize_t c = 0; c < 3; c++) {
            /* this row's two sub-pixel planes of channel c: even and odd columns */
            const float *even = prediction + (4 * c + 2 * (i % 2)) * plane + (i / 2) * w1;
            const float *odd = even + plane;
            for (Py_ssize_t k = 0; k < pairs; k++) {
                const Py_ssize_t j = 6 * k + c;
                o[j] = (uint8_t)(int)finish_one(even[k], x[j], shoulder, inv_room, strength);
                o[j + 3] = (uint8_t)(int)finish_one(odd[k], x[j + 3], shoulder, inv_room, strength);
            }
            if (width % 2) {
                const Py_ssize_t j = 3 * (width - 1) + c;
                o[j] = (uint8_t)(int)finish_one(even[pairs], x[j], shoulder, inv_room, strength);
            }
        }
    }
}

static PyObject *py_run(PyObject *self, PyObject *args) {
    Py_buffer prediction, frame, out;
    Py_ssize_t height, width, h1, w1, begin, end;
    float shoulder, strength;
    if (!PyArg_ParseTuple(args, "y*y*w*nnnnffnn", &prediction, &frame, &out, &height, &width, &h1, &w1, &shoulder,
                          &strength, &begin, &end))
        return NULL;
    PyObject *result = NULL;
    if (height < 1 || width < 1 || h1 < (height + 1) / 2 || w1 < (width + 1) / 2 || begin < 0 || end < begin
        || end > height || !(shoulder < 1.0f)) {
        PyErr_SetString(PyExc_ValueError, "run: needs a frame of at least 1x1, a prediction of at least half its size "
                                          "(rounded up), 0 <= begin <= end <= height, shoulder < 1");
    } else if (prediction.len != (Py_ssize_t)sizeof(float) * 12 * h1 * w1 || frame.len != 3 * height * width
               || out.len != 3 * height * width) {
        PyErr_SetString(PyExc_ValueError, "run: prediction must hold 12 * h1 * w1 float32, frame and out height * width * 3 bytes");
    } else {
        Py_BEGIN_ALLOW_THREADS
        run((const float *)prediction.buf, (const uint8_t *)frame.buf, (uint8_t *)out.buf, width, h1, w1, shoulder,
            strength, begin, end);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&prediction);
    PyBuffer_Release(&frame);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"run", py_run, METH_VARARGS, "The burst network's finish after its decoder graph (see models/runtime/_finish.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_finish", NULL, -1, methods};

PyMODINIT_FUNC PyInit__finish(void) { return PyModule_Create(&module); }
