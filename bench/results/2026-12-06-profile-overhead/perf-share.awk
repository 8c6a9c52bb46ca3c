# Shares of a perf script's samples (perf script -F comm,ip,sym) taken in
# spmdbench's timed ping-pong loop: those in page-fault handling and those
# in the profiler's own code. Usage:
#	perf script -i perf.data -F comm,ip,sym | awk -f perf-share.awk
BEGIN { RS = ""; FS = "\n" }
/pingPong/ {
	tot++
	if ($0 ~ /exc_page_fault/) pf++
	else if ($0 ~ /comm\.\(\*profiler\)|comm\.\(\*traceBuffer\)|comm\.rdtsc/) prof++
}
END { printf "loop samples %d, page faults %d (%.1f%%), profiler/trace code %d (%.1f%%)\n", tot, pf, 100*pf/tot, prof, 100*prof/tot }
