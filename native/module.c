/* sockit native module: registration. Each native C file adds its functions to
 * the exports; the argument helpers they share are in args.c. */
#include "sockit.h"

NAPI_MODULE_INIT() {
  if (sockit_init_syscalls(env, exports) != napi_ok ||
      sockit_init_resolver(env, exports) != napi_ok ||
      sockit_init_poller(env, exports) != napi_ok ||
      sockit_init_constants(env, exports) != napi_ok ||
      sockit_init_msg(env, exports) != napi_ok ||
      sockit_init_packet(env, exports) != napi_ok ||
      sockit_init_netns(env, exports) != napi_ok) {
    sockit_throw_last(env, "sockit init");
    return NULL;
  }
  return exports;
}
