// CPrefetch is a header-only shim (include/CPrefetch.h); SwiftPM wants one source file per C target.
#include "CPrefetch.h"
