#!/bin/sh
# Prints the CPU that release builds compile Swift code for (make's TARGET_CPU): `haswell` on
# an x86-64 machine with the x86-64-v3 features (AVX, AVX2, FMA, BMI1/2, MOVBE, F16C, LZCNT:
# Intel Haswell and AMD Excavator/Zen, 2013 on), `generic` anywhere else (other architectures,
# older CPUs, no /proc/cpuinfo). A binary built for haswell stops with SIGILL on an older CPU:
# build with `make release TARGET_CPU=generic` for a binary that runs on any x86-64.
[ "$(uname -m)" = x86_64 ] || { echo generic; exit 0; }
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
for f in avx avx2 fma bmi1 bmi2 movbe f16c abm; do
    case "$flags" in
        *" $f "*) ;;
        *) echo generic; exit 0 ;;
    esac
done
echo haswell
