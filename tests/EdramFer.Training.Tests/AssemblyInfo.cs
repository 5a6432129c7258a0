// libtorch's random generator and thread count are process-wide: tests that seed, build and train models must not
// interleave (two same-seed runs came out different when another class reseeded the global generator in parallel).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
