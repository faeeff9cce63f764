#ifndef TXGUARD_CPREFETCH_H
#define TXGUARD_CPREFETCH_H

/// Asks the CPU to bring the cache line holding `address` in ahead of its use (a hint: no fault,
/// no effect on results). Swift has no prefetch of its own; the featurizer uses this to start the
/// cache misses of one account's state (ten arrays) together instead of one after another.
static inline void txg_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
