#!/bin/sh
# The CPU that release builds compile Swift code for, and the swift build flags for it: the one
# place they are worked out (Makefile, scripts/eval/eval.sh and deploy/Dockerfile call it).
#
#   scripts/cpu-target.sh                 prints the CPU this machine would get: `haswell` on an
#                                         x86-64 machine with the x86-64-v3 features (AVX, AVX2,
#                                         FMA, BMI1/2, MOVBE, F16C, LZCNT: Intel Haswell and AMD
#                                         Excavator/Zen, 2013 on), `generic` anywhere else
#   scripts/cpu-target.sh --flags [CPU]   prints the swift build flags for CPU (`auto` or none:
#                                         the machine's, as above; `generic`: no flags)
#
# A binary built for haswell stops with SIGILL on an older CPU: `make release TARGET_CPU=generic`
# builds one that runs on any x86-64.
detect() {
    [ "$(uname -m)" = x86_64 ] || { echo generic; return; }
    flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
    for f in avx avx2 fma bmi1 bmi2 movbe f16c abm; do
        case "$flags" in
            *" $f "*) ;;
            *) echo generic; return ;;
        esac
    done
    echo haswell
}
if [ "$1" = --flags ]; then
    cpu=${2:-auto}
    [ "$cpu" = auto ] && cpu=$(detect)
    [ "$cpu" = generic ] || echo "-Xswiftc -target-cpu -Xswiftc $cpu"
else
    detect
fi
