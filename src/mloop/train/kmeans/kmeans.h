// k-means clustering (registry name "kmeans"): k-means++ initialisation, then Lloyd iterations
// until no centre moves more than `tol` (relative to the data's variance, as scikit-learn) or
// `max_iter` is reached; the best of `n_init` seeded runs by inertia. Parameters: k (or
// n_clusters; default 8), n_init (default 1), max_iter (300), tol (1e-4). Deterministic for a
// seed. Predict gives each row's nearest centre index. NaN or infinite inputs are an error (the
// default encoding imputes missing values), and so are values so large that every distance
// overflows: a DataError naming the row (RowMessage).
#pragma once

#include <memory>

#include "mloop/train/estimator.h"

namespace mloop {

std::unique_ptr<Estimator> MakeKMeans();

}  // namespace mloop
