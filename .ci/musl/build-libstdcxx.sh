#!/usr/bin/env bash
# Usage: build-libstdcxx.sh x64|arm64
# Builds .ci/musl/lib-ARCH/libstdc++.so.6 for Bun's musl build of that CPU
# (npm @oven/bun-linux-x64-musl / @oven/bun-linux-aarch64-musl), which needs a
# musl libstdc++ that Debian does not package: GCC's own static libstdc++
# (libstdc++.a of g++, or of g++-aarch64-linux-gnu), linked with musl's specs
# into a shared object holding just the C++ runtime symbols Bun imports, plus
# libstdcxx-shim.c for the glibc-only symbols that code calls
# (__libc_single_threaded, arc4random, _dl_find_object, __getauxval). Test scaffolding for
# test/integration/package.test.ts only: nothing ships from here.
# Needs: x64: musl-tools, g++; arm64: g++-aarch64-linux-gnu, musl-dev:arm64; binutils.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
arch="${1:-x64}"
case "$arch" in
  x64)
    bun="$here/node_modules/@oven/bun-linux-x64-musl/bin/bun"
    cc=(gcc -specs /usr/lib/x86_64-linux-musl/musl-gcc.specs)
    nm=nm
    gccdir="$(dirname "$(g++ -print-file-name=libstdc++.a)")"
    ;;
  arm64)
    bun="$here/../musl-arm64/node_modules/@oven/bun-linux-aarch64-musl/bin/bun"
    cc=(aarch64-linux-gnu-gcc -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs)
    nm=aarch64-linux-gnu-nm
    gccdir="$(dirname "$(aarch64-linux-gnu-g++ -print-file-name=libstdc++.a)")"
    ;;
  *) echo "build-libstdcxx.sh: unknown arch $arch (x64 or arm64)" >&2; exit 2 ;;
esac
out="$here/lib-$arch"
mkdir -p "$out"
syms="$( ("$nm" -D --undefined-only "$bun" | awk '{print $2}' | sed 's/@.*//' |
  grep -E '^(_Z|__cxa_(bad|demangle|guard|pure)|__dynamic_cast|__once_proxy)';
  # Copy-relocated typeinfo vtables: defined (B) in bun, so nm -u misses them.
  "$nm" -D "$bun" | awk '$2 == "B" && $3 ~ /^_ZTVN10__cxxabiv1/ {print $3}') | sort -u)"
"${cc[@]}" -O2 -fPIC -shared -o "$out/libstdc++.so.6" -Wl,-soname,libstdc++.so.6 \
  "$here/libstdcxx-shim.c" $(printf -- '-Wl,-u,%s ' $syms) \
  "$gccdir/libstdc++.a" "$gccdir/libgcc_eh.a" "$gccdir/libgcc.a"
