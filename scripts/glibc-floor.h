/*
 * Force-included (gcc -include) into every file of the glibc prebuilds by
 * scripts/prebuild.mjs; never part of a source build, which links against the
 * glibc it runs on.
 *
 * Linked against Debian 12's glibc 2.36, the addon would ask for
 * pthread_create@GLIBC_2.34 (glibc 2.34 moved libpthread into libc and gave its
 * functions new versions) and pthread_sigmask@GLIBC_2.32, and so refuse to load
 * on glibc 2.28-2.33 (Debian 11, Ubuntu 20.04, RHEL 8), where Node 20 runs. These
 * directives bind the calls to the functions' original versions, which every
 * glibc since still exports: on glibc < 2.34 they resolve in libpthread.so.0,
 * which Node built there loads. What is left at the top is fcntl64@GLIBC_2.28,
 * the floor of Node 20's own binaries. package.test.ts checks the result with
 * readelf -V.
 */
#if defined(__linux__) /* before any libc header: __GLIBC__ is not yet defined */
#if defined(__x86_64__)
#define SOCKIT_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define SOCKIT_GLIBC_BASE "GLIBC_2.17"
#endif
#ifdef SOCKIT_GLIBC_BASE
__asm__(".symver pthread_create, pthread_create@" SOCKIT_GLIBC_BASE);
__asm__(".symver pthread_join, pthread_join@" SOCKIT_GLIBC_BASE);
__asm__(".symver pthread_sigmask, pthread_sigmask@" SOCKIT_GLIBC_BASE);
#endif
#endif
