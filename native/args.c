/* Argument and result helpers shared by every native C file: read a JS argument
 * into a C value (throwing a TypeError/RangeError the JS layer never lets
 * happen), make a JS number, throw the last Node-API error. Declared in
 * sockit.h. */
#include "sockit.h"

#include <stdio.h>

void sockit_throw_last(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what,
           info && info->error_message ? info->error_message : "Node-API call failed");
  napi_throw_type_error(env, "ERR_SOCKIT_NATIVE", msg);
}

/* A C int argument. napi_get_value_int32 would wrap 2 + 2**32 to 2 (and turn
 * 1.5 into 1, NaN into 0) — shutdown(fd, 2 + 2**32) would shut both ways — so
 * the value is read as a double and anything that is not an integer in the
 * int range is refused. src/raw/ checks first with a better message; this is
 * the backstop that keeps every thunk from ever seeing a wrapped value. */
int sockit_arg_int32(napi_env env, napi_value v, int32_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "number expected");
    return -1;
  }
  /* The range test is false for NaN, and comes before the cast (a cast of an
   * out-of-range double is undefined behaviour). */
  if (!(d >= INT32_MIN && d <= INT32_MAX) || (double)(int32_t)d != d) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "integer argument outside the C int range");
    return -1;
  }
  *out = (int32_t)d;
  return 0;
}

int sockit_arg_int64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "number expected");
    return -1;
  }
  return 0;
}

/* Bytes per element, or 0 for a type this header does not name. */
static size_t typed_width(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 0;
  }
}

int sockit_arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  /* The common case first, in one Node-API call: a Buffer or other TypedArray
   * (asking for neither the ArrayBuffer nor the offset spares their handles).
   * Anything else fails it without throwing and takes the checks below. */
  napi_typedarray_type ttype = (napi_typedarray_type)-1;
  size_t tcount;
  if (napi_get_typedarray_info(env, v, &ttype, &tcount, data, NULL, NULL) == napi_ok) {
    size_t width = typed_width(ttype);
    if (width != 0) {
      *len = tcount * width;
      return 0;
    }
    /* A TypedArray of a kind newer than this header (Float16Array: Node 24+
     * leaves `type` unwritten, later ones report napi_float16_array): its
     * byteLength rather than a guessed element size, checked against the
     * memory behind it (a getter could say anything). */
    napi_value bl, ab;
    int64_t n;
    size_t off, ablen;
    void *base;
    if (napi_get_named_property(env, v, "byteLength", &bl) != napi_ok ||
        napi_get_value_int64(env, bl, &n) != napi_ok ||
        napi_get_typedarray_info(env, v, NULL, NULL, NULL, &ab, &off) != napi_ok ||
        napi_get_arraybuffer_info(env, ab, &base, &ablen) != napi_ok || n < 0 || off > ablen ||
        (uint64_t)n > ablen - off) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (!pending) napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "bytes expected");
      return -1;
    }
    *len = (size_t)n;
    return 0;
  }
  /* Not a TypedArray (every kind, Float16Array included, took the path above). */
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) {
    *data = NULL;
    *len = 0;
    return 0;
  }
  bool is;
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    napi_value ab;
    size_t off;
    if (napi_get_dataview_info(env, v, len, data, &ab, &off) != napi_ok) return -1;
    return 0;
  }
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    if (napi_get_arraybuffer_info(env, v, data, len) != napi_ok) return -1;
    return 0;
  }
  napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "bytes expected");
  return -1;
}

int sockit_arg_i32array(napi_env env, napi_value v, int32_t **data, size_t *count) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, count, &p, &ab, &off) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "Int32Array expected");
    return -1;
  }
  *data = (int32_t *)p;
  return 0;
}

bool sockit_arg_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

napi_value sockit_throw_range(napi_env env, const char *what) {
  napi_throw_range_error(env, "ERR_SOCKIT_NATIVE_RANGE", what);
  return NULL;
}

napi_value sockit_int(napi_env env, int64_t v) {
  napi_value r = NULL;
  if (v >= INT32_MIN && v <= INT32_MAX) napi_create_int32(env, (int32_t)v, &r);
  else napi_create_int64(env, v, &r);
  return r;
}
