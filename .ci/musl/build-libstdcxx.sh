#!/usr/bin/env bash
# Builds .ci/musl/lib/libstdc++.so.6 for Bun's musl build (npm @oven/bun-linux-x64-musl),
# which needs a musl libstdc++ that Debian does not package. Debian's own
# static libstdc++ (g++'s libstdc++.a), linked with musl-gcc into a shared
# object holding just the C++ runtime symbols Bun imports, plus
# libstdcxx-shim.c for the four glibc-only symbols that code calls
# (__libc_single_threaded, arc4random, _dl_find_object). Test scaffolding for
# test/integration/package.test.ts only: nothing ships from here.
# Needs: musl-tools, g++ (libstdc++-12-dev), binutils (nm).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bun="$here/node_modules/@oven/bun-linux-x64-musl/bin/bun"
gccdir="$(dirname "$(g++ -print-file-name=libstdc++.a)")"
mkdir -p "$here/lib"
syms="$( (nm -D --undefined-only "$bun" | awk '{print $2}' | sed 's/@.*//' |
  grep -E '^(_Z|__cxa_(bad|demangle|guard|pure)|__dynamic_cast|__once_proxy)';
  # Copy-relocated typeinfo vtables: defined (B) in bun, so nm -u misses them.
  nm -D "$bun" | awk '$2 == "B" && $3 ~ /^_ZTVN10__cxxabiv1/ {print $3}') | sort -u)"
musl-gcc -O2 -fPIC -shared -o "$here/lib/libstdc++.so.6" -Wl,-soname,libstdc++.so.6 \
  "$here/libstdcxx-shim.c" $(printf -- '-Wl,-u,%s ' $syms) \
  "$gccdir/libstdc++.a" "$gccdir/libgcc_eh.a" "$gccdir/libgcc.a"
