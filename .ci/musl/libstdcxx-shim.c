/*
 * The glibc-only symbols that Debian's static libstdc++/libgcc_eh call, for
 * the musl libstdc++.so.6 that build-libstdcxx.sh links for Bun's musl build
 * (test scaffolding only; see that script).
 *   __libc_single_threaded (glibc 2.32): 0 = "maybe threaded", so libstdc++
 *     always uses atomics: correct, if not the fastest.
 *   arc4random (glibc 2.36; musl 1.2.3 lacks it): std::random_device; from getrandom(2).
 *   _dl_find_object (glibc 2.35): the unwinder's lookup of the object holding
 *     a PC; answered from dl_iterate_phdr, as libgcc does without it.
 *   __getauxval (glibc's internal name; arm64 libgcc's CPU-feature probe): getauxval.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>

char __libc_single_threaded = 0;

uint32_t arc4random(void) {
  uint32_t v = 0;
  while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {}
  return v;
}

struct dl_find_object {
  unsigned long long dlfo_flags;
  void *dlfo_map_start;
  void *dlfo_map_end;
  struct link_map *dlfo_link_map;
  void *dlfo_eh_frame;
  unsigned long long reserved[7];
};

struct find { uintptr_t pc; struct dl_find_object *out; int found; };

static int visit(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct find *f = data;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  void *eh = NULL;
  int inside = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + p->p_vaddr, end = start + p->p_memsz;
    if (p->p_type == PT_LOAD) {
      if (start < lo) lo = start;
      if (end > hi) hi = end;
      if (f->pc >= start && f->pc < end) inside = 1;
    } else if (p->p_type == PT_GNU_EH_FRAME) {
      eh = (void *)start;
    }
  }
  if (!inside) return 0;
  memset(f->out, 0, sizeof *f->out);
  f->out->dlfo_map_start = (void *)lo;
  f->out->dlfo_map_end = (void *)hi;
  f->out->dlfo_eh_frame = eh;
  f->found = 1;
  return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *out) {
  struct find f = { (uintptr_t)pc, out, 0 };
  dl_iterate_phdr(visit, &f);
  return f.found ? 0 : -1;
}

unsigned long __getauxval(unsigned long type) { return getauxval(type); }
