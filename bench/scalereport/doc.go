// Package scalereport turns the records of a scaling study (package sweep)
// into its summary and reports: summary.json, report.md, report.html (one
// self-contained page, plots inline) and the plots as PNG and SVG — time
// against p on log–log axes with the ideal line and the fitted law,
// speedup against the ideal, parallel efficiency, and the Karp–Flatt
// metric. It also compares two studies point by point.
//
// The analysis is package scalestat's; this package chooses what to
// report and how. Every number a report shows comes from the median of a
// point's good runs, with its distribution-free 95 % interval; the
// baseline (the smallest p with a good run) is stated with its absolute
// time, as Hoefler and Belli ask. A point is oversubscribed when one of
// its hosts got more ranks than slots (or than CPUs, on a laptop); such
// points are marked in every table and plot because their times measure
// the scheduler's time slicing as much as the program. Warnings say when
// neighbouring points' intervals overlap (no trend between them can be
// claimed), when an interval is short of 95 % (fewer than six runs), when
// a point has no good run, and when a fit's r² is below 0.9.
package scalereport
