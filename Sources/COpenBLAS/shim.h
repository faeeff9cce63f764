// OpenBLAS (Debian libopenblas-dev): cblas_sgemm and openblas_set_num_threads for the MiniLM encoder,
// and the LAPACK symmetric eigensolver it exports (used by the PCA fit).
#include <stddef.h>
#include <cblas.h>

// LAPACK dsyev (Fortran calling convention; trailing hidden lengths of the character arguments).
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info, size_t jobz_len, size_t uplo_len);
