// Package scalestat is the statistics of a scaling study: the summaries and
// fitted laws that spmdbench scale reports. Every function is pure (samples
// in, numbers out), so a study can be re-analysed without rerunning it.
//
// # Medians and their confidence intervals
//
// Run times of parallel programs are skewed to the right and often
// multi-modal (a run that lost its core to a daemon is much slower, never
// much faster), so a mean and a normal-theory interval describe them badly.
// The median needs no assumption about the distribution, and neither does
// its confidence interval: if X(1) ≤ … ≤ X(n) are the sorted times, the
// number of them below the true median is Binomial(n, ½), so
//
//	P(X(j) ≤ median ≤ X(n+1−j)) = Σ_{i=j}^{n−j} C(n,i) / 2ⁿ.
//
// MedianCI picks the largest j whose coverage is still at least the level
// asked (95 %): the narrowest interval between order statistics that the
// data support. With few runs even [X(1), X(n)] covers less than 95 %
// (1 − 2^(1−n): 93.75 % at n = 5), so at n < 6 a 95 % interval cannot be
// had; MedianCI then returns the widest one there is, the range, with its
// true coverage, and marks it as short of the level. Repeat more (six runs
// or more) when the interval matters.
//
// # Speedup, efficiency and the Karp–Flatt metric
//
// For a strong-scaling sweep (fixed problem, more ranks) with baseline p₀
// (normally 1) and median times T: speedup S(p) = p₀·T(p₀)/T(p), so that
// the baseline has speedup p₀ and the ideal is S(p) = p; efficiency
// E(p) = S(p)/p. The experimentally determined serial fraction of Karp and
// Flatt is
//
//	e(p) = (1/S − 1/p) / (1 − 1/p),  p > 1.
//
// A constant e across p points at serial work; an e that grows with p
// points at parallel overhead (communication, imbalance) instead.
//
// # Amdahl's law, fitted
//
// Amdahl's law in time form is T(p) = a + b/p: a is the time no number of
// ranks shortens, b the time that divides among them. It is linear in
// (a, b) with x = 1/p, so ordinary least squares over every good run gives
// the estimates, their covariance s²(XᵀX)⁻¹ with s² = RSS/(n−2), and
// r² = 1 − RSS/TSS. The serial fraction is f = a/(a+b), the share of the
// one-rank time that does not parallelise; its standard error comes from
// the delta method, ∇f = (b, −a)/(a+b)². The fit's speedup bound is 1/f.
// FitAmdahl fits whatever observations it is given; spmdbench scale gives
// it the points' medians, because single runs are skewed to the right (a
// late wake-up or a stolen core only ever adds time) and least squares
// follows outliers; the standard error then measures how far the medians
// stray from the law, with n−2 degrees of freedom. r² below 0.9 says the
// law does not describe the data (overheads that grow with p, such as
// log p collective terms, are the usual reason).
//
// # Gustafson's law, for weak sweeps
//
// In a weak sweep the problem grows with p. Gustafson's scaled speedup
// compares T(p) with the time one rank takes for the same, grown problem,
// T₁(p): S(p) = T₁(p)/T(p). If a fraction s of the parallel run is serial,
// S(p) = s + (1−s)·p, that is p − S(p) = s·(p − 1): a line through the
// origin whose slope, fitted by least squares, is s, with standard error
// sqrt(RSS/(m−1) / Σ(p−1)²) over the m points with p > 1. Without the
// one-rank runs of the grown problems only the weak efficiency
// E(p) = T(p₀)/T(p) can be had.
//
// # Comparing two studies
//
// RatioCI bootstraps the ratio of two medians: it resamples each study's
// runs at a point with replacement, takes the ratio of the resampled
// medians, and reads the 2.5 % and 97.5 % quantiles of those ratios (the
// percentile bootstrap, seeded so that reports are reproducible). A ratio
// whose interval excludes 1 is called significant.
package scalestat
