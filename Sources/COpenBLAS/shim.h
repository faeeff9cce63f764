// OpenBLAS (Debian libopenblas-dev): cblas_sgemm and openblas_set_num_threads for the MiniLM encoder.
#include <cblas.h>
