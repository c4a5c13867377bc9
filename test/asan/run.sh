#!/usr/bin/env bash
# npm run test:asan — the addon under AddressSanitizer + UndefinedBehaviorSanitizer.
#
# Builds native/*.c with -fsanitize=address,undefined into build-asan/ (the
# normal build/ is untouched), then runs the tests that drive the addon
# hardest — socket, messages, fd passing, netlink, selector, posix and the
# decoders' property tests — with libasan preloaded into Node (Node itself is
# not built with ASan, so the runtime must come first) and the loader pointed
# at the sanitizer build through SOCKIT_ADDON. Any ASan report or UB aborts the
# process, which fails its test file. Leak detection is off: Node leaks by
# design at exit. Child processes inherit the environment and use the same build.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build-asan
mkdir -p "$OUT"
# Node's headers: next to the node binary (/usr/bin/node → /usr/include/node), or node-gyp's cache.
NODE_INC="$(node -p "require('path').join(require('path').dirname(require('path').dirname(process.execPath)), 'include', 'node')")"
if [ ! -f "$NODE_INC/node_api.h" ]; then
  NODE_INC="${HOME}/.cache/node-gyp/$(node -p process.versions.node)/include/node"
fi
if [ ! -f "$NODE_INC/node_api.h" ]; then
  echo "test:asan: Node's headers (node_api.h) not found; run npm ci first (node-gyp fetches them)" >&2
  exit 1
fi
CC="${CC:-gcc}"
echo "== build $OUT/sockit.node with -fsanitize=address,undefined"
"$CC" -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -O1 -g -fno-omit-frame-pointer \
  -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -fPIC -pthread -shared -DNAPI_VERSION=8 -D_GNU_SOURCE -I"$NODE_INC" \
  native/*.c -o "$OUT/sockit.node"
LIBASAN="$("$CC" -print-file-name=libasan.so)"
export LD_PRELOAD="$LIBASAN"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export SOCKIT_ADDON="$PWD/$OUT/sockit.node"
# The loader really took the sanitizer build (and ASan is in the process).
node --import tsx -e '
  await import("./src/raw/native.ts");
  const { readFileSync } = await import("node:fs");
  const maps = readFileSync("/proc/self/maps", "utf8");
  if (!maps.includes(process.env.SOCKIT_ADDON)) throw new Error("the ASan build is not loaded");
  if (!/libasan/.test(maps)) throw new Error("libasan is not loaded");
  console.log("== loaded", process.env.SOCKIT_ADDON, "with libasan");
'
echo "== tests under ASan + UBSan"
exec node --import tsx --import ./test/setup.ts --test --test-concurrency=1 --test-timeout=300000 \
  test/integration/socket-*.test.ts test/integration/messages.test.ts test/integration/fdpass.test.ts \
  test/integration/netlink.test.ts test/integration/selector.test.ts test/integration/posix.test.ts \
  test/integration/posix-messages.test.ts test/integration/abort-listeners.test.ts \
  test/integration/handover.test.ts test/integration/iovec.test.ts test/unit/control.property.test.ts test/unit/netlink.property.test.ts \
  test/unit/address.property.test.ts
